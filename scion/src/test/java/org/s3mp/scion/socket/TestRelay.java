package org.s3mp.scion.socket;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.s3mp.scion.IsdAs;
import org.s3mp.scion.packet.PathHeader;
import org.s3mp.scion.packet.ScionPacket;
import org.s3mp.scion.packet.ScmpMessage;
import org.s3mp.scion.packet.StandardPath;
import org.s3mp.scion.packet.UdpDatagram;

/**
 * An in-JVM stand-in for a border router (unit tests only): receives SCION packets on a loopback UDP port and
 * delivers them to the destination host at the SCION/UDP destination port (echo replies: at the identifier),
 * with the path pointers moved to the last hop as a real path traversal would leave them. It can drop the next
 * N packets or answer the next packets with SCMP external-interface-down instead of forwarding.
 */
final class TestRelay implements AutoCloseable {
  private final DatagramSocket socket;
  private final Thread thread;
  final AtomicInteger forwarded = new AtomicInteger();
  final AtomicInteger dropped = new AtomicInteger();
  final AtomicInteger dropNext = new AtomicInteger();
  /** The next N packets are forwarded after {@link #delay} (a congested link or a loaded router), not at once. */
  final AtomicInteger delayNext = new AtomicInteger();
  volatile java.time.Duration delay = java.time.Duration.ZERO;
  private final java.util.concurrent.ScheduledExecutorService later =
      java.util.concurrent.Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "test-relay-delay");
        t.setDaemon(true);
        return t;
      });
  final AtomicReference<long[]> interfaceDown = new AtomicReference<>(); // {isdAs, ifid} while "down"
  /** Where echo requests go: the end host's SCMP responder (the dispatcher port on a real host). */
  volatile int echoPort = ScionDatagramSocket.ENDHOST_DEFAULT_PORT;

  TestRelay() throws SocketException {
    socket = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
    thread = new Thread(this::run, "test-relay-" + socket.getLocalPort());
    thread.setDaemon(true);
    thread.start();
  }

  InetSocketAddress address() {
    return (InetSocketAddress) socket.getLocalSocketAddress();
  }

  private void run() {
    byte[] buf = new byte[65535];
    while (!socket.isClosed()) {
      try {
        DatagramPacket dp = new DatagramPacket(buf, buf.length);
        socket.receive(dp);
        ScionPacket p = ScionPacket.decode(dp.getData(), 0, dp.getLength());
        long[] down = interfaceDown.get();
        if (down != null) {
          dropped.incrementAndGet();
          sendScmpDown(p, dp, down);
          continue;
        }
        if (dropNext.get() > 0 && dropNext.decrementAndGet() >= 0) {
          dropped.incrementAndGet();
          continue;
        }
        PathHeader path = p.path();
        if (path instanceof StandardPath sp) {
          path = atLastHop(sp);
        } else if (path instanceof org.s3mp.scion.packet.EpicPath ep) {
          path = new org.s3mp.scion.packet.EpicPath(ep.timestamp(), ep.counter(), ep.phvf(), ep.lhvf(),
              atLastHop(ep.scionPath()));
        }
        int port = p.l4() instanceof UdpDatagram u ? u.dstPort()
            : p.l4() instanceof ScmpMessage.Echo e && e.type() == ScmpMessage.ECHO_REPLY ? e.identifier() : echoPort;
        byte[] out = new ScionPacket(p.header(), path, p.l4()).encode();
        DatagramPacket fwd = new DatagramPacket(out, out.length, p.header().dstHost().ip(), port);
        if (delayNext.get() > 0 && delayNext.decrementAndGet() >= 0) {
          later.schedule(() -> {
            forwarded.incrementAndGet();
            try {
              socket.send(fwd);
            } catch (IOException closed) {
              // relay closed meanwhile
            }
          }, delay.toNanos(), java.util.concurrent.TimeUnit.NANOSECONDS);
          continue;
        }
        forwarded.incrementAndGet(); // before sending: the receiver may look at the count as soon as it has the packet
        socket.send(fwd);
      } catch (IOException | org.s3mp.scion.packet.PacketParseException e) {
        if (socket.isClosed()) {
          return;
        }
      }
    }
  }

  private static StandardPath atLastHop(StandardPath sp) {
    return new StandardPath(sp.numInf() - 1, sp.numHops() - 1, sp.reserved(), sp.seg0Len(), sp.seg1Len(),
        sp.seg2Len(), sp.infoFields(), sp.hopFields());
  }

  /** As a router does: SCMP type 5 to the sender's port, quoting the packet, over the reversed path. */
  private void sendScmpDown(ScionPacket p, DatagramPacket dp, long[] down) throws IOException {
    byte[] quote = java.util.Arrays.copyOf(dp.getData(), Math.min(dp.getLength(), 100));
    ScmpMessage m = new ScmpMessage.ExternalInterfaceDown(0, IsdAs.fromLong(down[0]), down[1], quote);
    ScionPacket reply = new ScionPacket(p.header().reversed(), p.path().reversed(), m);
    byte[] out = reply.encode();
    int port = p.l4() instanceof UdpDatagram u ? u.srcPort() : ((ScmpMessage.Echo) p.l4()).identifier();
    socket.send(new DatagramPacket(out, out.length, p.header().srcHost().ip(), port));
  }

  @Override
  public void close() throws InterruptedException {
    later.shutdownNow();
    socket.close();
    thread.join(2000);
  }
}
