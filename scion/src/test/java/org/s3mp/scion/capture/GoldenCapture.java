package org.s3mp.scion.capture;

import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.s3mp.scion.IsdAs;
import org.s3mp.scion.ScionAddress;
import org.s3mp.scion.ScionPath;
import org.s3mp.scion.daemon.DaemonClient;
import org.s3mp.scion.packet.HostAddress;
import org.s3mp.scion.packet.ScionHeader;
import org.s3mp.scion.packet.ScionPacket;
import org.s3mp.scion.packet.ScmpMessage;
import org.s3mp.scion.packet.StandardPath;
import org.s3mp.scion.packet.UdpDatagram;

/**
 * Records golden packets from a running testbed (`./s3mp testbed up`), not part of the test suite:
 * {@code java -cp ... org.s3mp.scion.capture.GoldenCapture OUTDIR}. Uses plain UDP sockets so the bytes are
 * exactly what crossed the real border routers: a UDP request (as sent, and as it arrived after two ASes), the
 * reply on the reversed path (as sent, and as it arrived, which proves the routers accepted the reversal), and
 * an SCMP echo request/reply with the end-host responder of the destination AS.
 */
public final class GoldenCapture {
  public static void main(String[] args) throws Exception {
    Path out = Path.of(args[0]);
    Files.createDirectories(out);
    IsdAs a = IsdAs.parse("1-ff00:0:111");
    IsdAs b = IsdAs.parse("1-ff00:0:112");
    InetAddress hostA = InetAddress.getByName("127.0.111.1");
    InetAddress hostB = InetAddress.getByName("127.0.112.1");
    try (DaemonClient daemonA = DaemonClient.connect("127.0.111.1:30255");
        DatagramSocket client = new DatagramSocket(new InetSocketAddress(hostA, 40111));
        DatagramSocket server = new DatagramSocket(new InetSocketAddress(hostB, 40112))) {
      client.setSoTimeout(3000);
      server.setSoTimeout(3000);
      List<ScionPath> paths = daemonA.paths(a, b, false);
      ScionPath path = paths.get(0);
      System.out.println("path " + path.hops());
      ScionHeader h = ScionHeader.of(0x1234, b, HostAddress.of(hostB), a, HostAddress.of(hostA));
      ScionPacket req = new ScionPacket(h, StandardPath.decode(path.raw()),
          new UdpDatagram(40111, 40112, "DLMS-request".getBytes()));
      byte[] reqSent = req.encode();
      client.send(new DatagramPacket(reqSent, reqSent.length, path.nextHop().orElseThrow()));
      byte[] reqArrived = receive(server);
      DatagramPacket last = lastPacket;
      ScionPacket got = ScionPacket.decode(reqArrived);
      ScionPacket reply = new ScionPacket(got.header().reversed(), got.path().reversed(),
          new UdpDatagram(40112, 40111, "DLMS-response".getBytes()));
      byte[] replySent = reply.encode();
      server.send(new DatagramPacket(replySent, replySent.length, last.getSocketAddress()));
      byte[] replyArrived = receive(client);
      ScionPacket.decode(replyArrived);
      Files.write(out.resolve("udp-request-sent.bin"), reqSent);
      Files.write(out.resolve("udp-request-arrived.bin"), reqArrived);
      Files.write(out.resolve("udp-reply-sent.bin"), replySent);
      Files.write(out.resolve("udp-reply-arrived.bin"), replyArrived);

      ScionPacket echo = new ScionPacket(ScionHeader.of(0x1235, b, HostAddress.of(hostB), a, HostAddress.of(hostA)),
          StandardPath.decode(path.raw()), ScmpMessage.Echo.request(40111, 1, "echo-data".getBytes()));
      byte[] echoSent = echo.encode();
      client.send(new DatagramPacket(echoSent, echoSent.length, path.nextHop().orElseThrow()));
      byte[] echoReply = receive(client);
      System.out.println("echo reply: " + ScionPacket.decode(echoReply).l4());
      Files.write(out.resolve("scmp-echo-request-sent.bin"), echoSent);
      Files.write(out.resolve("scmp-echo-reply-arrived.bin"), echoReply);
      Files.writeString(out.resolve("README.md"), "Captured from the local scionproto v0.15.1 testbed by "
          + "org.s3mp.scion.capture.GoldenCapture over path " + path.hops() + ".\n");
    }
  }

  private static DatagramPacket lastPacket;

  private static byte[] receive(DatagramSocket s) throws Exception {
    DatagramPacket p = new DatagramPacket(new byte[65535], 65535);
    s.receive(p);
    lastPacket = p;
    return Arrays.copyOf(p.getData(), p.getLength());
  }
}
