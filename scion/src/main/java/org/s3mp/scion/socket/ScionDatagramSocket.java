package org.s3mp.scion.socket;

import java.io.IOException;
import java.net.BindException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.s3mp.scion.IsdAs;
import org.s3mp.scion.ScionAddress;
import org.s3mp.scion.ScionPath;
import org.s3mp.scion.daemon.AsInfo;
import org.s3mp.scion.daemon.DaemonClient;
import org.s3mp.scion.daemon.DaemonException;
import org.s3mp.scion.daemon.PortRange;
import org.s3mp.scion.packet.EmptyPath;
import org.s3mp.scion.packet.EpicHvf;
import org.s3mp.scion.packet.EpicPath;
import org.s3mp.scion.packet.HostAddress;
import org.s3mp.scion.packet.L4Payload;
import org.s3mp.scion.packet.PacketParseException;
import org.s3mp.scion.packet.PathHeader;
import org.s3mp.scion.packet.ScionHeader;
import org.s3mp.scion.packet.ScionPacket;
import org.s3mp.scion.packet.ScmpMessage;
import org.s3mp.scion.packet.StandardPath;
import org.s3mp.scion.packet.UdpDatagram;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A SCION/UDP socket in scionproto's dispatcher-less model: one underlay UDP socket bound on the host's IP at a
 * port inside the AS's dispatched range; that port is also the SCION/UDP port. Sends go to the path's next hop
 * (the first border router), or straight to the destination inside the local AS. Received packets are checked
 * strictly; malformed ones are counted and dropped. SCMP errors go to the registered listeners (the path
 * selector), echo requests are answered. One thread receives at a time; sending is thread-safe.
 */
public final class ScionDatagramSocket implements AutoCloseable {
  /** Where routers deliver SCMP informational requests and traffic for ports outside the dispatched range. */
  public static final int ENDHOST_DEFAULT_PORT = 30041;
  private static final Logger LOG = LoggerFactory.getLogger(ScionDatagramSocket.class);
  private static final int MAX_UNDERLAY = 65535;

  private final DatagramSocket underlay;
  private final ScionAddress local;
  private final PortRange dispatchedPorts;
  private final int localMtu;
  private final int flowId;
  private final List<Consumer<ScmpMessage>> scmpListeners = new CopyOnWriteArrayList<>();
  private final AtomicLong malformed = new AtomicLong();
  private final AtomicLong sent = new AtomicLong();
  private final AtomicLong epicSent = new AtomicLong();
  private final AtomicLong epicReceived = new AtomicLong();
  /** The EPIC packet counter (PktID); with the 21 µs timestamp it makes each packet's id unique. */
  private final AtomicLong epicCounter = new AtomicLong();
  private volatile boolean epic;
  private final byte[] buffer = new byte[MAX_UNDERLAY];
  /**
   * The path header of the path sent on last, decoded once: requests mostly go out over the same path (a
   * head-end's to all meters of an AS), and decoding it for every packet was a fifth of a send. Paths and path
   * headers are immutable, so the same header encodes to the same bytes.
   */
  private volatile DecodedPath lastDecoded;

  private record DecodedPath(ScionPath path, StandardPath header) {}

  private ScionDatagramSocket(DatagramSocket underlay, ScionAddress local, PortRange range, int localMtu) {
    this.underlay = underlay;
    this.local = local;
    this.dispatchedPorts = range;
    this.localMtu = localMtu;
    this.flowId = 1 + ThreadLocalRandom.current().nextInt(0xFFFFF);
  }

  /**
   * Binds at {@code hostIp:port} in the AS the daemon serves; port 0 picks a free port in the dispatched range.
   * The host IP must be the one routers reach this host at (in the testbed: the AS's loopback address).
   */
  public static ScionDatagramSocket open(DaemonClient daemon, InetAddress hostIp, int port)
      throws DaemonException, IOException {
    AsInfo as = daemon.localAs();
    return open(as.isdAs(), hostIp, port, daemon.portRange(), as.mtu());
  }

  /** Binds with explicitly given AS facts (no daemon needed). */
  public static ScionDatagramSocket open(IsdAs localIa, InetAddress hostIp, int port, PortRange range, int asMtu)
      throws IOException {
    Objects.requireNonNull(hostIp, "hostIp");
    if (port != 0 && !range.contains(port)) {
      throw new BindException("port " + port + " is outside the AS's dispatched port range " + range
          + ": routers would not deliver to it");
    }
    DatagramSocket s = port != 0 ? bind(hostIp, port) : bindInRange(hostIp, range);
    return new ScionDatagramSocket(s, new ScionAddress(localIa, hostIp, s.getLocalPort()), range, asMtu);
  }

  private static DatagramSocket bind(InetAddress ip, int port) throws IOException {
    DatagramSocket s = new DatagramSocket(null);
    try {
      s.setReuseAddress(false);
      s.bind(new InetSocketAddress(ip, port));
      return s;
    } catch (IOException e) {
      s.close();
      BindException b = new BindException("cannot bind SCION socket at " + ip.getHostAddress() + ":" + port + ": "
          + e.getMessage());
      b.initCause(e);
      throw b;
    }
  }

  private static DatagramSocket bindInRange(InetAddress ip, PortRange range) throws IOException {
    int size = range.end() - range.start() + 1;
    int startOffset = ThreadLocalRandom.current().nextInt(size);
    for (int i = 0; i < Math.min(size, 512); i++) {
      int port = range.start() + (startOffset + i) % size;
      if (port == 0) {
        continue;
      }
      try {
        return bind(ip, port);
      } catch (BindException e) {
        // taken: try the next one
      }
    }
    throw new BindException("no free port in the dispatched range " + range + " on " + ip.getHostAddress());
  }

  public ScionAddress localAddress() {
    return local;
  }

  public PortRange dispatchedPorts() {
    return dispatchedPorts;
  }

  /** Malformed packets received and dropped by this socket. */
  public long malformedCount() {
    return malformed.get();
  }

  public long sentCount() {
    return sent.get();
  }

  /**
   * With EPIC-HP on, sends over a path that carries EPIC authenticators use the EPIC path type (the penultimate
   * and last router verify the hop validation fields); other paths go as before. Replies keep the standard path.
   */
  public void useEpic(boolean on) {
    this.epic = on;
  }

  public boolean usesEpic() {
    return epic;
  }

  /** Packets sent with the EPIC path type. */
  public long epicSentCount() {
    return epicSent.get();
  }

  /** Well-formed packets for this socket that arrived with the EPIC path type. */
  public long epicReceivedCount() {
    return epicReceived.get();
  }

  /** Called (on the receiving thread) for every SCMP error that reaches this socket. */
  public void addScmpErrorListener(Consumer<ScmpMessage> listener) {
    scmpListeners.add(listener);
  }

  public void removeScmpErrorListener(Consumer<ScmpMessage> listener) {
    scmpListeners.remove(listener);
  }

  /** Sends one datagram to {@code dst} over {@code path}; refuses what does not fit the path MTU. */
  public void send(byte[] payload, ScionAddress dst, ScionPath path) throws IOException {
    sendL4(new UdpDatagram(local.port(), dst.port(), payload), dst, path);
  }

  /** Answers a received datagram on its reversed path. */
  public void reply(ReceivedDatagram to, byte[] payload) throws IOException {
    ScionPacket p = new ScionPacket(header(to.source()), to.replyPath(),
        new UdpDatagram(local.port(), to.source().port(), payload));
    byte[] wire = p.encode();
    // The reversed path carries no MTU; the AS MTU bounds at least the first link.
    if (wire.length > localMtu) {
      throw new PacketTooLargeException(wire.length, localMtu, "(reply path)");
    }
    transmit(wire, to.replyNextHop());
  }

  /** Sends an upper-layer message (UDP or SCMP) over a path. */
  public void sendL4(L4Payload l4, ScionAddress dst, ScionPath path) throws IOException {
    if (!path.destination().equals(dst.isdAs())) {
      throw new IllegalArgumentException("path leads to " + path.destination() + ", not to " + dst.isdAs());
    }
    PathHeader header;
    InetSocketAddress nextHop;
    int mtu;
    if (path.isLocal()) {
      header = EmptyPath.INSTANCE;
      nextHop = new InetSocketAddress(dst.host(), underlayPortInAs(l4, dst.port()));
      mtu = path.mtu() > 0 ? path.mtu() : localMtu;
    } else {
      header = decoded(path);
      nextHop = path.nextHop().orElseThrow();
      mtu = path.mtu();
    }
    ScionPacket packet = new ScionPacket(header(dst), header, l4);
    byte[] wire;
    boolean sealed = epic && path.epicAuths().isPresent();
    if (sealed) {
      try {
        wire = EpicHvf.seal(packet, path.epicAuths().get(), epicCounter.incrementAndGet(), Instant.now());
      } catch (IllegalArgumentException e) {
        throw new IOException("cannot send with EPIC over " + path.hops() + ": " + e.getMessage(), e);
      }
    } else {
      wire = packet.encode();
    }
    if (mtu > 0 && wire.length > mtu) {
      throw new PacketTooLargeException(wire.length, mtu, path.hops());
    }
    transmit(wire, nextHop);
    if (sealed) {
      epicSent.incrementAndGet();
    }
  }

  private StandardPath decoded(ScionPath path) throws IOException {
    DecodedPath d = lastDecoded;
    if (d != null && d.path() == path) {
      return d.header();
    }
    StandardPath header;
    try {
      header = StandardPath.decode(path.raw());
    } catch (PacketParseException e) {
      throw new IOException("path " + path.hops() + " from the daemon is malformed: " + e.getMessage(), e);
    }
    lastDecoded = new DecodedPath(path, header);
    return header;
  }

  /** Inside the AS the sender plays the router's role: dispatched ports directly, anything else to 30041. */
  private int underlayPortInAs(L4Payload l4, int dstPort) {
    if (l4 instanceof ScmpMessage m && m.type() == ScmpMessage.ECHO_REQUEST) {
      return ENDHOST_DEFAULT_PORT;
    }
    if (l4 instanceof ScmpMessage.Echo e && e.type() == ScmpMessage.ECHO_REPLY) {
      return dispatchedPorts.contains(e.identifier()) ? e.identifier() : ENDHOST_DEFAULT_PORT;
    }
    return dispatchedPorts.contains(dstPort) ? dstPort : ENDHOST_DEFAULT_PORT;
  }

  private ScionHeader header(ScionAddress dst) {
    return ScionHeader.of(flowId, dst.isdAs(), HostAddress.of(dst.host()), local.isdAs(), HostAddress.of(local.host()));
  }

  private void transmit(byte[] wire, InetSocketAddress nextHop) throws IOException {
    underlay.send(new DatagramPacket(wire, wire.length, nextHop));
    sent.incrementAndGet();
  }

  /**
   * Waits up to {@code timeout} for the next well-formed packet addressed to this socket (any upper layer).
   * Returns null on timeout. Malformed or misaddressed packets are counted and skipped.
   */
  public ReceivedPacket receivePacket(Duration timeout) throws IOException {
    long deadline = System.nanoTime() + timeout.toNanos();
    synchronized (buffer) {
      while (true) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          return null;
        }
        underlay.setSoTimeout((int) Math.max(1, Math.min(Integer.MAX_VALUE, left / 1_000_000)));
        DatagramPacket dp = new DatagramPacket(buffer, buffer.length);
        try {
          underlay.receive(dp);
        } catch (SocketTimeoutException e) {
          return null;
        }
        ScionPacket p;
        try {
          p = ScionPacket.decode(dp.getData(), dp.getOffset(), dp.getLength());
        } catch (PacketParseException e) {
          malformed.incrementAndGet();
          LOG.debug("dropped malformed packet from {}: {}", dp.getSocketAddress(), e.getMessage());
          continue;
        }
        if (!p.header().dstIsdAs().equals(local.isdAs()) || p.header().dstHost().isService()
            || !p.header().dstHost().ip().equals(local.host())) {
          malformed.incrementAndGet();
          LOG.debug("dropped packet for {},{} at {}", p.header().dstIsdAs(), p.header().dstHost(), local);
          continue;
        }
        if (p.path() instanceof EpicPath) {
          epicReceived.incrementAndGet();
        }
        return new ReceivedPacket(p, (InetSocketAddress) dp.getSocketAddress());
      }
    }
  }

  /**
   * Waits up to {@code timeout} for the next UDP datagram; SCMP errors go to the listeners, echo requests are
   * answered, both without returning. Returns null on timeout.
   */
  public ReceivedDatagram receive(Duration timeout) throws IOException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      long left = deadline - System.nanoTime();
      ReceivedPacket rp = receivePacket(Duration.ofNanos(Math.max(0, left)));
      if (rp == null) {
        return null;
      }
      ReceivedDatagram d = handle(rp);
      if (d != null) {
        return d;
      }
    }
  }

  /**
   * For packets taken with {@link #receivePacket}: turns a UDP packet into a datagram (null if not for our port);
   * SCMP errors go to the listeners and echo requests are answered (both return null).
   */
  public ReceivedDatagram handle(ReceivedPacket rp) throws IOException {
    ScionPacket p = rp.packet();
    ScionHeader h = p.header();
    if (p.l4() instanceof UdpDatagram u) {
      if (u.dstPort() != local.port()) {
        malformed.incrementAndGet();
        return null;
      }
      if (h.srcHost().isService()) {
        return null; // we never answer service addresses
      }
      ScionAddress src = new ScionAddress(h.srcIsdAs(), h.srcHost().ip(), u.srcPort());
      return new ReceivedDatagram(src, local, u.payload(), p.path().reversed(), rp.underlaySource());
    }
    ScmpMessage m = (ScmpMessage) p.l4();
    if (m.isError()) {
      for (Consumer<ScmpMessage> l : scmpListeners) {
        l.accept(m);
      }
    } else if (m instanceof ScmpMessage.Echo e && e.type() == ScmpMessage.ECHO_REQUEST && !h.srcHost().isService()) {
      ScionPacket reply = new ScionPacket(h.reversed(), p.path().reversed(), e.reply());
      transmit(reply.encode(), rp.underlaySource());
    }
    return null;
  }

  @Override
  public void close() {
    underlay.close();
  }
}
