package org.s3mp.scion.socket;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.s3mp.scion.ScionAddress;
import org.s3mp.scion.packet.ScionHeader;
import org.s3mp.scion.packet.ScionPacket;
import org.s3mp.scion.packet.ScmpMessage;
import org.s3mp.scion.packet.UdpDatagram;
import org.s3mp.scion.path.PathSelector;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One SCION socket (one UDP port) for the {@link ScionDatagramClient}s of many peers, e.g. a head-end's meters:
 * one receiving thread hands each packet to the client it belongs to. UDP by its source address (one client per
 * peer); SCMP echo replies to the clients of the replying host, which match them by sequence number (unique
 * across this socket: the echo identifier must be the port); SCMP errors, after the socket has told every
 * client's path selector, to every client, so one waiting on a path that just became faulty fails over at once.
 * Echo requests are answered here. Thread-safe.
 */
public final class SharedScionSocket implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(SharedScionSocket.class);
  /** Packets a client has not taken yet beyond this are dropped (as a full socket buffer would). */
  private static final int INBOX = 64;

  private final ScionDatagramSocket socket;
  private final Map<ScionAddress, BlockingQueue<ReceivedPacket>> inboxes = new ConcurrentHashMap<>();
  private final AtomicInteger probeSequences = new AtomicInteger();
  private final Thread receiver;
  private volatile boolean closed;

  private SharedScionSocket(ScionDatagramSocket socket) {
    this.socket = socket;
    this.receiver = new Thread(this::receiveLoop, "scion-socket-" + socket.localAddress().port());
    receiver.setDaemon(true);
  }

  /** Shares {@code socket} (closed with this) and starts its receiving thread. */
  public static SharedScionSocket start(ScionDatagramSocket socket) {
    SharedScionSocket s = new SharedScionSocket(socket);
    s.receiver.start();
    return s;
  }

  public ScionDatagramSocket socket() {
    return socket;
  }

  /**
   * A client for {@code peer} over this socket, or empty if another open client already talks to that peer
   * (answers could not be told apart). Closing the client leaves the socket open.
   */
  public Optional<ScionDatagramClient> client(ScionAddress peer, PathSelector selector) {
    BlockingQueue<ReceivedPacket> inbox = new ArrayBlockingQueue<>(INBOX);
    if (closed || inboxes.putIfAbsent(peer, inbox) != null) {
      return Optional.empty();
    }
    return Optional.of(new ScionDatagramClient(socket, selector, timeout -> take(inbox, timeout), false,
        probeSequences::getAndIncrement, () -> inboxes.remove(peer, inbox)));
  }

  private static ReceivedPacket take(BlockingQueue<ReceivedPacket> inbox, Duration timeout) throws IOException {
    try {
      return inbox.poll(timeout.toNanos(), TimeUnit.NANOSECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted while waiting for an answer");
    }
  }

  /** Peers with an open client. */
  public int clients() {
    return inboxes.size();
  }

  private void receiveLoop() {
    while (!closed) {
      try {
        ReceivedPacket rp = socket.receivePacket(Duration.ofSeconds(1));
        if (rp != null) {
          dispatch(rp);
        }
      } catch (IOException | RuntimeException e) {
        if (!closed) {
          LOG.warn("SCION socket {}: {}", socket.localAddress(), e.toString());
        }
      }
    }
  }

  private void dispatch(ReceivedPacket rp) throws IOException {
    ScionPacket p = rp.packet();
    ScionHeader h = p.header();
    if (p.l4() instanceof UdpDatagram u) {
      if (!h.srcHost().isService()) {
        offer(inboxes.get(new ScionAddress(h.srcIsdAs(), h.srcHost().ip(), u.srcPort())), rp);
      }
      return;
    }
    ScmpMessage m = (ScmpMessage) p.l4();
    socket.handle(rp); // errors to the selectors, echo requests answered
    if (m.isError()) {
      inboxes.values().forEach(q -> offer(q, rp));
    } else if (m instanceof ScmpMessage.Echo e && e.type() == ScmpMessage.ECHO_REPLY && !h.srcHost().isService()) {
      inboxes.forEach((peer, q) -> {
        if (peer.isdAs().equals(h.srcIsdAs()) && peer.host().equals(h.srcHost().ip())) {
          offer(q, rp);
        }
      });
    }
  }

  private static void offer(BlockingQueue<ReceivedPacket> inbox, ReceivedPacket rp) {
    if (inbox != null) {
      inbox.offer(rp);
    }
  }

  @Override
  public void close() {
    closed = true;
    socket.close();
    try {
      receiver.join(2000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
