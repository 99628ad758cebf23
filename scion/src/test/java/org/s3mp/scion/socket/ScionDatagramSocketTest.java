package org.s3mp.scion.socket;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.BindException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.s3mp.scion.EpicAuths;
import org.s3mp.scion.IsdAs;
import org.s3mp.scion.ScionAddress;
import org.s3mp.scion.ScionPath;
import org.s3mp.scion.TestPaths;
import org.s3mp.scion.daemon.PortRange;
import org.s3mp.scion.packet.EpicHvf;
import org.s3mp.scion.packet.EpicPath;
import org.s3mp.scion.packet.ScmpMessage;
import org.s3mp.scion.packet.StandardPath;

class ScionDatagramSocketTest {
  static final IsdAs A = IsdAs.parse("1-ff00:0:111");
  static final IsdAs B = IsdAs.parse("1-ff00:0:112");
  static final InetAddress LO = InetAddress.getLoopbackAddress();
  static final PortRange RANGE = new PortRange(31000, 32767);
  static final Duration WAIT = Duration.ofSeconds(5);

  static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void bindsInsideTheDispatchedRangeOnly() throws Exception {
    try (ScionDatagramSocket s = ScionDatagramSocket.open(A, LO, 0, RANGE, 1472)) {
      assertThat(RANGE.contains(s.localAddress().port())).isTrue();
      assertThat(s.localAddress().isdAs()).isEqualTo(A);
    }
    assertThatThrownBy(() -> ScionDatagramSocket.open(A, LO, 4059, RANGE, 1472)).isInstanceOf(BindException.class)
        .hasMessageContaining("outside the AS's dispatched port range 31000-32767");
  }

  @Test
  void requestAndReplyInsideOneAs() throws Exception {
    try (ScionDatagramSocket server = ScionDatagramSocket.open(A, LO, 0, RANGE, 1472);
        ScionDatagramSocket client = ScionDatagramSocket.open(A, LO, 0, RANGE, 1472)) {
      ScionPath local = ScionPath.local(A, 1472, Instant.now().plusSeconds(3600));
      client.send(bytes("hello"), server.localAddress(), local);
      ReceivedDatagram got = server.receive(WAIT);
      assertThat(got).isNotNull();
      assertThat(new String(got.payload(), StandardCharsets.UTF_8)).isEqualTo("hello");
      assertThat(got.source()).isEqualTo(client.localAddress());
      server.reply(got, bytes("world"));
      ReceivedDatagram answer = client.receive(WAIT);
      assertThat(new String(answer.payload(), StandardCharsets.UTF_8)).isEqualTo("world");
      assertThat(answer.source()).isEqualTo(server.localAddress());
    }
  }

  @Test
  void requestAndReplyAcrossAsesThroughARouter() throws Exception {
    try (TestRelay router = new TestRelay();
        ScionDatagramSocket server = ScionDatagramSocket.open(B, LO, 0, RANGE, 1472);
        ScionDatagramSocket client = ScionDatagramSocket.open(A, LO, 0, RANGE, 1472)) {
      ScionPath path = TestPaths.path("1-ff00:0:111 1>2 1-ff00:0:110 3>4 1-ff00:0:112", router.address());
      client.send(bytes("request"), server.localAddress(), path);
      ReceivedDatagram got = server.receive(WAIT);
      assertThat(got.source()).isEqualTo(client.localAddress());
      assertThat(got.replyNextHop()).isEqualTo(router.address());
      // The reply path is the reversal of the path as it arrived (pointers at the last hop).
      StandardPath sent = StandardPath.decode(path.raw());
      StandardPath reply = (StandardPath) got.replyPath();
      assertThat(reply.currHf()).isZero();
      assertThat(reply.hopFields()).containsExactlyElementsOf(sent.reversed().hopFields());
      assertThat(reply.infoFields().get(0).consDir()).isNotEqualTo(sent.infoFields().get(0).consDir());
      server.reply(got, bytes("response"));
      ReceivedDatagram answer = client.receive(WAIT);
      assertThat(new String(answer.payload(), StandardCharsets.UTF_8)).isEqualTo("response");
      assertThat(router.forwarded.get()).isEqualTo(2);
    }
  }

  @Test
  void epicOnlyWhenAskedAndThePathOffersItRepliesOnTheStandardPath() throws Exception {
    EpicAuths auths = new EpicAuths(bytes("0123456789abcdef"), bytes("fedcba9876543210"));
    try (TestRelay router = new TestRelay();
        ScionDatagramSocket server = ScionDatagramSocket.open(B, LO, 0, RANGE, 1472);
        ScionDatagramSocket client = ScionDatagramSocket.open(A, LO, 0, RANGE, 1472)) {
      ScionPath plain = TestPaths.path("1-ff00:0:111 1>2 1-ff00:0:110 3>4 1-ff00:0:112", router.address());
      ScionPath offered = plain.withEpicAuths(auths);
      client.send(bytes("not asked"), server.localAddress(), offered);
      assertThat(server.receivePacket(WAIT).packet().path()).isInstanceOf(StandardPath.class);
      client.useEpic(true);
      client.send(bytes("not offered"), server.localAddress(), plain);
      assertThat(server.receivePacket(WAIT).packet().path()).isInstanceOf(StandardPath.class);
      assertThat(client.epicSentCount()).isZero();

      client.send(bytes("over epic"), server.localAddress(), offered);
      client.send(bytes("again"), server.localAddress(), offered);
      ReceivedPacket first = server.receivePacket(WAIT);
      ReceivedPacket second = server.receivePacket(WAIT);
      assertThat(client.epicSentCount()).isEqualTo(2);
      assertThat(server.epicReceivedCount()).isEqualTo(2);
      EpicPath e = (EpicPath) first.packet().path();
      assertThat(((EpicPath) second.packet().path()).counter()).isNotEqualTo(e.counter());
      assertThat(e.scionPath().hopFields()).isEqualTo(StandardPath.decode(plain.raw()).hopFields());
      // what the penultimate and the last router compute, they find in the packet
      long infoTs = e.scionPath().infoFields().get(0).timestamp();
      int len = 8 + "over epic".length();
      assertThat(e.phvf()).isEqualTo(
          EpicHvf.mac(auths.authPhvf(), e.timestamp(), e.counter(), first.packet().header(), infoTs, len));
      assertThat(e.lhvf()).isEqualTo(
          EpicHvf.mac(auths.authLhvf(), e.timestamp(), e.counter(), first.packet().header(), infoTs, len));
      ReceivedDatagram got = server.handle(first);
      assertThat(got.replyPath()).isInstanceOf(StandardPath.class);
      server.reply(got, bytes("response"));
      ReceivedPacket answer = client.receivePacket(WAIT);
      assertThat(answer.packet().path()).isInstanceOf(StandardPath.class);
      assertThat(new String(client.handle(answer).payload(), StandardCharsets.UTF_8)).isEqualTo("response");
    }
  }

  @Test
  void refusesDatagramsOverThePathMtu() throws Exception {
    try (TestRelay router = new TestRelay();
        ScionDatagramSocket client = ScionDatagramSocket.open(A, LO, 0, RANGE, 1472)) {
      ScionPath path = TestPaths.path("1-ff00:0:111 1>2 1-ff00:0:110 3>4 1-ff00:0:112", router.address());
      int header = 12 + 16 + 8 + 4 + 8 + 3 * 12 + 8; // common, IAs, hosts, meta, 1 info, 3 hops, UDP
      ScionAddress dst = new ScionAddress(B, LO, 31000);
      client.send(new byte[path.mtu() - header], dst, path); // exactly fits
      assertThatThrownBy(() -> client.send(new byte[path.mtu() - header + 1], dst, path))
          .isInstanceOf(PacketTooLargeException.class).hasMessageContaining("exceeds the MTU 1400");
      assertThat(client.sentCount()).isEqualTo(1);
    }
  }

  @Test
  void malformedPacketsAreCountedAndDropped() throws Exception {
    try (ScionDatagramSocket s = ScionDatagramSocket.open(A, LO, 0, RANGE, 1472);
        DatagramSocket raw = new DatagramSocket(0, LO);
        ScionDatagramSocket peer = ScionDatagramSocket.open(A, LO, 0, RANGE, 1472)) {
      byte[] junk = {0, 1, 2, 3, 4, 5};
      raw.send(new DatagramPacket(junk, junk.length, LO, s.localAddress().port()));
      peer.send(bytes("after junk"), s.localAddress(), ScionPath.local(A, 1472, Instant.now().plusSeconds(60)));
      ReceivedDatagram d = s.receive(WAIT);
      assertThat(new String(d.payload(), StandardCharsets.UTF_8)).isEqualTo("after junk");
      assertThat(s.malformedCount()).isEqualTo(1);
    }
  }

  @Test
  void scmpErrorsReachListenersAndEchoIsAnswered() throws Exception {
    try (TestRelay router = new TestRelay();
        ScionDatagramSocket server = ScionDatagramSocket.open(B, LO, 0, RANGE, 1472);
        ScionDatagramSocket client = ScionDatagramSocket.open(A, LO, 0, RANGE, 1472)) {
      CopyOnWriteArrayList<ScmpMessage> errors = new CopyOnWriteArrayList<>();
      client.addScmpErrorListener(errors::add);
      ScionPath path = TestPaths.path("1-ff00:0:111 1>2 1-ff00:0:110 3>4 1-ff00:0:112", router.address());
      router.interfaceDown.set(new long[] {IsdAs.parse("1-ff00:0:110").toLong(), 3});
      client.send(bytes("lost"), server.localAddress(), path);
      long deadline = System.nanoTime() + WAIT.toNanos();
      while (errors.isEmpty() && System.nanoTime() < deadline) {
        assertThat(client.receive(Duration.ofMillis(100))).isNull(); // only the SCMP error comes back
      }
      assertThat(errors).hasSize(1);
      ScmpMessage.ExternalInterfaceDown down = (ScmpMessage.ExternalInterfaceDown) errors.get(0);
      assertThat(down.isdAs()).isEqualTo(IsdAs.parse("1-ff00:0:110"));
      assertThat(down.interfaceId()).isEqualTo(3);
    }
  }

  @Test
  void pingInsideTheAsGetsAnEchoReply() throws Exception {
    // An echo responder bound at the end-host default port stands in for scionproto's dispatcher, on a loopback
    // address of its own: another build or a testbed on this host may hold 127.0.0.1:30041.
    InetAddress host = ownLoopbackAddress();
    try (ScionDatagramSocket responder = ScionDatagramSocket.open(A, host,
        ScionDatagramSocket.ENDHOST_DEFAULT_PORT, new PortRange(30041, 32767), 1472);
        ScionDatagramSocket client = ScionDatagramSocket.open(A, host, 0, RANGE, 1472)) {
      Thread t = new Thread(() -> {
        try {
          responder.receive(WAIT); // answers the echo internally, returns null at the deadline
        } catch (java.io.IOException e) {
          // closed
        }
      });
      t.start();
      ScionPing.Result r = ScionPing.echo(client, new ScionAddress(A, host, 0),
          ScionPath.local(A, 1472, Instant.now().plusSeconds(60)), 1, 16, WAIT);
      assertThat(r.replied()).isTrue();
      assertThat(r.rtt()).isPositive();
      responder.close();
      t.join(6000);
    }
  }

  /** A loopback address 127.251-254.x.y (above the testbeds' blocks) whose end-host port is free. */
  private static InetAddress ownLoopbackAddress() throws Exception {
    java.util.Random random = new java.util.Random();
    for (int attempt = 0; ; attempt++) {
      InetAddress a = InetAddress.getByAddress(new byte[] {127, (byte) (251 + random.nextInt(4)),
          (byte) random.nextInt(256), (byte) (1 + random.nextInt(254))});
      try (DatagramSocket probe = new DatagramSocket(new java.net.InetSocketAddress(a,
          ScionDatagramSocket.ENDHOST_DEFAULT_PORT))) {
        return a;
      } catch (BindException e) {
        if (attempt == 20) {
          throw e;
        }
      }
    }
  }
}
