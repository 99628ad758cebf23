package org.s3mp.dlms.transport.tcp;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.s3mp.dlms.transport.MeterUrl;
import org.s3mp.dlms.transport.PduHandler;
import org.s3mp.dlms.transport.Peer;
import org.s3mp.dlms.transport.ServerEndpoint;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A TCP listener: one thread per connection (a meter has few clients), each connection one {@link Peer}. Slots are
 * bounded in total and per remote address, and a connection that has no association after the pre-association
 * timeout is closed, so idle peers cannot lock out the head-end.
 */
final class TcpServerEndpoint implements ServerEndpoint {
  private static final Logger log = LoggerFactory.getLogger(TcpServerEndpoint.class);
  /** More simultaneous connections than a meter needs; beyond this new ones are closed at once. */
  static final int MAX_CONNECTIONS = 32;
  /** Connections from one IP address at a time: one peer cannot take every slot. */
  static final int MAX_CONNECTIONS_PER_ADDRESS = 4;
  /** An idle connection is closed after this long (DLMS wrapper inactivity time-out). */
  static final int IDLE_TIMEOUT_MS = 180_000;
  /** Default time a connection may take to complete an association before it is closed. */
  static final Duration DEFAULT_PRE_ASSOCIATION_TIMEOUT = Duration.ofSeconds(10);
  /** How long {@link #close()} waits for PDUs being handled (a push being stored) before it returns anyway. */
  static final Duration DRAIN_ON_CLOSE = Duration.ofSeconds(5);
  /**
   * After a failed accept the loop pauses this long, doubling up to {@link #MAX_ACCEPT_BACKOFF} while accept keeps
   * failing: out of file descriptors (EMFILE) accept fails at once, and a loop retrying at once spun a core and
   * wrote 1.5 million log lines at 3,900 meters in one process.
   */
  static final Duration FIRST_ACCEPT_BACKOFF = Duration.ofMillis(100);
  static final Duration MAX_ACCEPT_BACKOFF = Duration.ofSeconds(1);

  /** How the accept loop waits before it tries again (a test records the pauses instead of sleeping). */
  interface Pause {
    void pause(Duration d) throws InterruptedException;
  }

  private final ServerSocket server;
  private final PduHandler handler;
  private final MeterUrl localUrl;
  private final Duration preAssociationTimeout;
  private final int maxConnections;
  private final int maxConnectionsPerAddress;
  private final Pause acceptPause;
  private final Map<TcpPeer, Socket> connections = new ConcurrentHashMap<>();
  private final AtomicLong connectionIds = new AtomicLong();
  private final java.util.Set<Thread> serving = ConcurrentHashMap.newKeySet();
  private volatile boolean closed;

  record TcpPeer(InetSocketAddress remote, long connection) implements Peer {
    @Override
    public String id() {
      return "tcp:" + remote.getAddress().getHostAddress() + ":" + remote.getPort() + "#" + connection;
    }

    @Override
    public String toString() {
      return id();
    }
  }

  private TcpServerEndpoint(ServerSocket server, PduHandler handler, Duration preAssociationTimeout,
      int maxConnections, int maxConnectionsPerAddress, Pause acceptPause) {
    this.server = server;
    this.acceptPause = acceptPause;
    this.maxConnections = maxConnections;
    this.maxConnectionsPerAddress = maxConnectionsPerAddress;
    this.handler = handler;
    this.preAssociationTimeout = preAssociationTimeout;
    InetSocketAddress local = (InetSocketAddress) server.getLocalSocketAddress();
    String host = local.getAddress().getHostAddress();
    this.localUrl = new MeterUrl("tcp", (host.contains(":") ? "[" + host + "]" : host) + ":" + local.getPort());
  }

  static TcpServerEndpoint start(InetSocketAddress address, PduHandler handler, Duration preAssociationTimeout)
      throws IOException {
    return start(address, handler, preAssociationTimeout, MAX_CONNECTIONS, MAX_CONNECTIONS_PER_ADDRESS);
  }

  /** A listener with its own connection limits (a push listener takes a connection per meter). */
  static TcpServerEndpoint start(InetSocketAddress address, PduHandler handler, Duration preAssociationTimeout,
      int maxConnections, int maxConnectionsPerAddress) throws IOException {
    if (maxConnections < 1 || maxConnectionsPerAddress < 1) {
      throw new IllegalArgumentException("connection limits must be at least 1");
    }
    if (preAssociationTimeout.isNegative() || preAssociationTimeout.isZero()) {
      throw new IllegalArgumentException("pre-association timeout must be positive: " + preAssociationTimeout);
    }
    ServerSocket ss = new ServerSocket();
    try {
      ss.setReuseAddress(true);
      ss.bind(address, 50);
    } catch (IOException e) {
      ss.close();
      throw new IOException("cannot listen on tcp://" + address.getHostString() + ":" + address.getPort() + ": "
          + e.getMessage(), e);
    }
    return serve(ss, handler, preAssociationTimeout, maxConnections, maxConnectionsPerAddress,
        d -> Thread.sleep(d.toMillis()));
  }

  /** Accepts on a bound {@code server} (a test's stand-in) with the given pause after failed accepts. */
  static TcpServerEndpoint serve(ServerSocket server, PduHandler handler, Duration preAssociationTimeout,
      int maxConnections, int maxConnectionsPerAddress, Pause acceptPause) {
    TcpServerEndpoint ep = new TcpServerEndpoint(server, handler, preAssociationTimeout, maxConnections,
        maxConnectionsPerAddress, acceptPause);
    Thread t = new Thread(ep::acceptLoop, "dlms-tcp-accept-" + ep.localUrl.address());
    t.setDaemon(true);
    t.start();
    return ep;
  }

  @Override
  public MeterUrl localUrl() {
    return localUrl;
  }

  private void acceptLoop() {
    Duration backoff = null; // non-null while accept fails (one episode)
    int failures = 0;
    long failingSince = 0;
    while (!closed) {
      Socket s;
      try {
        s = server.accept();
      } catch (IOException e) {
        if (closed) {
          break;
        }
        if (backoff == null) {
          // once per episode: EMFILE fails every attempt until a descriptor is free again
          log.warn("accept on {} failed: {}; retrying after {} ms, doubling up to {} ms while it fails (logged again"
              + " when it works)", localUrl, e.getMessage(), FIRST_ACCEPT_BACKOFF.toMillis(),
              MAX_ACCEPT_BACKOFF.toMillis());
          backoff = FIRST_ACCEPT_BACKOFF;
          failingSince = System.nanoTime();
        }
        failures++;
        try {
          acceptPause.pause(backoff);
        } catch (InterruptedException ie) {
          Thread.currentThread().interrupt();
          break;
        }
        backoff = backoff.multipliedBy(2).compareTo(MAX_ACCEPT_BACKOFF) > 0 ? MAX_ACCEPT_BACKOFF
            : backoff.multipliedBy(2);
        continue;
      }
      if (backoff != null) {
        log.warn("accept on {} works again after {} failed attempts in {} ms", localUrl, failures,
            (System.nanoTime() - failingSince) / 1_000_000);
        backoff = null;
        failures = 0;
      }
      if (connections.size() >= maxConnections) {
        log.warn("refusing connection from {}: {} connections open", s.getRemoteSocketAddress(), maxConnections);
        closeQuietly(s);
        continue;
      }
      InetAddress from = s.getInetAddress();
      long fromSameAddress = connections.keySet().stream().filter(p -> p.remote().getAddress().equals(from)).count();
      if (fromSameAddress >= maxConnectionsPerAddress) {
        log.warn("refusing connection from {}: {} connections open from that address", s.getRemoteSocketAddress(),
            maxConnectionsPerAddress);
        closeQuietly(s);
        continue;
      }
      TcpPeer peer = new TcpPeer((InetSocketAddress) s.getRemoteSocketAddress(), connectionIds.incrementAndGet());
      connections.put(peer, s);
      Thread t = new Thread(() -> serve(peer, s), "dlms-tcp-" + peer.id());
      t.setDaemon(true);
      serving.add(t);
      t.start();
    }
  }

  private void serve(TcpPeer peer, Socket s) {
    log.debug("{} connected", peer);
    try (s) {
      s.setTcpNoDelay(true);
      InputStream in = new BufferedInputStream(s.getInputStream());
      // until the peer has an association it gets a short, fixed deadline (no slot held by idle or slow peers)
      long associateBy = System.nanoTime() + preAssociationTimeout.toNanos();
      boolean associated = false;
      while (!closed) {
        if (!associated) {
          associated = handler.associated(peer);
        }
        if (associated) {
          s.setSoTimeout(IDLE_TIMEOUT_MS);
        } else {
          long left = associateBy - System.nanoTime();
          if (left <= 0) {
            log.info("closing {}: no association within {} s", peer, preAssociationTimeout.toSeconds());
            break;
          }
          s.setSoTimeout((int) Math.max(1, Math.min(IDLE_TIMEOUT_MS, left / 1_000_000)));
        }
        byte[] pdu = WrapperStream.read(in);
        if (pdu == null) {
          break;
        }
        handler.received(peer, pdu, this);
      }
    } catch (SocketTimeoutException e) {
      if (handler.associated(peer)) {
        log.debug("{} idle, closing", peer);
      } else {
        log.info("closing {}: no association within {} s", peer, preAssociationTimeout.toSeconds());
      }
    } catch (SocketException e) {
      log.debug("{}: {}", peer, e.getMessage());
    } catch (IOException e) {
      // a stream that is not wrapper PDUs cannot be resynchronised: drop the connection
      log.info("dropping {}: {}", peer, e.getMessage());
    } catch (RuntimeException e) {
      log.error("handler failed for {}", peer, e);
    } finally {
      connections.remove(peer);
      handler.closed(peer);
      serving.remove(Thread.currentThread());
      log.debug("{} closed", peer);
    }
  }

  @Override
  public boolean datagram() {
    return false;
  }

  @Override
  public void send(Peer peer, byte[] pdu) throws IOException {
    Socket s = connections.get(peer);
    if (s == null) {
      throw new IOException("peer " + peer.id() + " is gone");
    }
    OutputStream out = s.getOutputStream();
    synchronized (s) {
      out.write(pdu);
      out.flush();
    }
  }

  /**
   * Stops listening, closes every connection and waits (up to {@link #DRAIN_ON_CLOSE}) for the PDUs being handled,
   * so that a caller closing what the handler writes to (a database) closes it after the last one.
   */
  @Override
  public void close() {
    closed = true;
    closeQuietly(server);
    connections.values().forEach(TcpServerEndpoint::closeQuietly);
    long deadline = System.nanoTime() + DRAIN_ON_CLOSE.toNanos();
    for (Thread t : serving) {
      long left = deadline - System.nanoTime();
      if (t == Thread.currentThread() || left <= 0) {
        continue;
      }
      try {
        t.join(Math.max(1, left / 1_000_000));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
    if (!serving.isEmpty()) {
      log.warn("{} closed with {} PDUs still being handled after {} s", localUrl, serving.size(),
          DRAIN_ON_CLOSE.toSeconds());
    }
  }

  private static void closeQuietly(AutoCloseable c) {
    try {
      c.close();
    } catch (Exception ignored) {
      // closing anyway
    }
  }
}
