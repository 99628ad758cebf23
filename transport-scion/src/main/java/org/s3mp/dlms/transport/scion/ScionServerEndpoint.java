package org.s3mp.dlms.transport.scion;

import java.io.IOException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.s3mp.dlms.transport.MeterUrl;
import org.s3mp.dlms.transport.PduHandler;
import org.s3mp.dlms.transport.Peer;
import org.s3mp.dlms.transport.ServerEndpoint;
import org.s3mp.scion.AsTopology;
import org.s3mp.scion.ScionAddress;
import org.s3mp.scion.daemon.DaemonClient;
import org.s3mp.scion.daemon.DaemonException;
import org.s3mp.scion.packet.ScionHeader;
import org.s3mp.scion.packet.ScionPacket;
import org.s3mp.scion.packet.ScmpMessage;
import org.s3mp.scion.packet.UdpDatagram;
import org.s3mp.scion.socket.ReceivedDatagram;
import org.s3mp.scion.socket.ReceivedPacket;
import org.s3mp.scion.socket.ScionDatagramSocket;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The meter's SCION/UDP listener: one socket, one receiving thread; each datagram is one wrapper PDU from the
 * peer named by its SCION source address, and the reply goes back on the reversed path of that peer's latest
 * request (so the head-end's path choice and failover decide both directions). Datagrams from sources that are
 * not {@link TrustedSources trusted}, and SCMP echo requests from them, are counted and dropped before the handler
 * sees them.
 */
final class ScionServerEndpoint implements ServerEndpoint {
  private static final Logger log = LoggerFactory.getLogger(ScionServerEndpoint.class);
  /** At most one log line about dropped datagrams per interval: a flood must not flood the log too. */
  static final long DROP_LOG_INTERVAL_NANOS = 10_000_000_000L;

  private final ScionDatagramSocket socket;
  private final PduHandler handler;
  private final TrustedSources trusted;
  private final AtomicLong dropped = new AtomicLong();
  private long droppedAtLastLog;
  private long lastDropLog = System.nanoTime() - DROP_LOG_INTERVAL_NANOS;
  private final Map<ScionPeer, ReceivedDatagram> replyTo = new ConcurrentHashMap<>();
  private volatile boolean closed;

  private ScionServerEndpoint(ScionDatagramSocket socket, PduHandler handler, TrustedSources trusted) {
    this.socket = socket;
    this.handler = handler;
    this.trusted = trusted;
  }

  /** Listens in the AS that a topology file describes: no daemon connection (so no gRPC in this JVM). */
  static ScionServerEndpoint start(ScionAddress address, PduHandler handler, AsTopology topology,
      TrustedSources trusted) throws IOException {
    if (!topology.isdAs().equals(address.isdAs())) {
      throw new IOException("cannot listen on " + address + ": the SCION topology file describes AS "
          + topology.isdAs());
    }
    return start(ScionDatagramSocket.open(topology.isdAs(), address.host(), address.port(),
        topology.dispatchedPorts(), topology.mtu()), handler, trusted);
  }

  /** Listens in the AS of the daemon at daemonAddress, which also says the MTU and the dispatched ports. */
  static ScionServerEndpoint start(ScionAddress address, PduHandler handler, String daemonAddress,
      TrustedSources trusted) throws IOException {
    ScionDatagramSocket socket;
    try (DaemonClient daemon = DaemonClient.connect(daemonAddress)) {
      var as = daemon.localAs();
      if (!as.isdAs().equals(address.isdAs())) {
        throw new IOException("cannot listen on " + address + ": the SCION daemon at " + daemonAddress
            + " serves AS " + as.isdAs());
      }
      socket = ScionDatagramSocket.open(daemon, address.host(), address.port());
    } catch (DaemonException e) {
      throw new IOException("SCION daemon " + daemonAddress + ": " + e.getMessage(), e);
    }
    return start(socket, handler, trusted);
  }

  /** Serves on an open socket (unit tests open one without a daemon). */
  static ScionServerEndpoint start(ScionDatagramSocket socket, PduHandler handler, TrustedSources trusted) {
    ScionServerEndpoint ep = new ScionServerEndpoint(socket, handler, trusted);
    Thread t = new Thread(ep::receiveLoop, "dlms-scion-" + socket.localAddress());
    t.setDaemon(true);
    t.start();
    log.info("listening on scion://{}, accepting {}", socket.localAddress(),
        trusted.isOpen() ? "datagrams from any source" : "datagrams only from " + trusted);
    return ep;
  }

  private void receiveLoop() {
    while (!closed) {
      try {
        ReceivedPacket rp = socket.receivePacket(java.time.Duration.ofSeconds(1));
        if (rp == null) {
          continue;
        }
        String source = untrustedSource(rp.packet());
        if (source != null) {
          dropUntrusted(source);
          continue;
        }
        ReceivedDatagram d = socket.handle(rp); // null for SCMP (errors to listeners, echo requests answered)
        if (d == null) {
          continue;
        }
        ScionPeer peer = new ScionPeer(d.source());
        replyTo.put(peer, d);
        handler.received(peer, d.payload(), this);
      } catch (IOException e) {
        if (!closed) {
          log.warn("SCION receive failed: {}", e.getMessage());
        }
      } catch (RuntimeException e) {
        // a handler bug must not stop the meter from answering others
        log.error("handling a SCION datagram failed", e);
      }
    }
  }

  /**
   * The source of a datagram or SCMP echo request from outside the trusted sources (null if trusted): neither is
   * answered, so an outsider cannot even learn that the meter is there. SCMP errors pass (they come from routers
   * and are never answered).
   */
  private String untrustedSource(ScionPacket p) {
    if (trusted.isOpen() || p.l4() instanceof ScmpMessage m && m.isError()) {
      return null;
    }
    ScionHeader h = p.header();
    if (h.srcHost().isService()) {
      return h.srcIsdAs() + "," + h.srcHost(); // a service address is never a trusted source
    }
    int port = p.l4() instanceof UdpDatagram u ? u.srcPort() : 0;
    ScionAddress source = new ScionAddress(h.srcIsdAs(), h.srcHost().ip(), port);
    return trusted.allows(source) ? null : source + (p.l4() instanceof UdpDatagram ? "" : " (SCMP)");
  }

  private void dropUntrusted(String source) {
    long total = dropped.incrementAndGet();
    long now = System.nanoTime();
    if (now - lastDropLog >= DROP_LOG_INTERVAL_NANOS) {
      log.warn("dropped {} datagram(s) from untrusted SCION sources since the last report ({} in total; latest"
          + " from {})", total - droppedAtLastLog, total, source);
      lastDropLog = now;
      droppedAtLastLog = total;
    }
  }

  @Override
  public long droppedUntrusted() {
    return dropped.get();
  }

  @Override
  public long receivedOverEpic() {
    return socket.epicReceivedCount();
  }

  /** The latest datagram from a peer, with the path it actually took (tests check what the routers forwarded). */
  ReceivedDatagram lastDatagram(ScionPeer peer) {
    return replyTo.get(peer);
  }

  @Override
  public MeterUrl localUrl() {
    return new MeterUrl("scion", socket.localAddress().toString());
  }

  @Override
  public boolean datagram() {
    return true;
  }

  @Override
  public void send(Peer peer, byte[] pdu) throws IOException {
    ReceivedDatagram to = peer instanceof ScionPeer p ? replyTo.get(p) : null;
    if (to == null) {
      throw new IOException("no request from " + peer + " to answer");
    }
    socket.reply(to, pdu);
  }

  @Override
  public void close() {
    closed = true;
    socket.close();
  }
}
