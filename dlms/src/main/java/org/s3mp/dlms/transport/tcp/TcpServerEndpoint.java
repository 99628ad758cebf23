package org.s3mp.dlms.transport.tcp;

import java.io.EOFException;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.s3mp.dlms.transport.MeterUrl;
import org.s3mp.dlms.transport.PduHandler;
import org.s3mp.dlms.transport.Peer;
import org.s3mp.dlms.transport.ServerEndpoint;
import org.s3mp.dlms.transport.WrapperPdu;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A TCP listener, each connection one {@link Peer}. Listeners and connections have no threads of their own: the
 * process's {@link TcpLoop} accepts and reads for all of them and hands each complete wrapper PDU to a shared
 * worker, one PDU at a time per connection (reading from it pauses meanwhile), so the threads do not grow with
 * meters or connections. Slots are bounded in total and per remote address, and a connection that has no
 * association after the pre-association timeout is closed, so idle peers cannot lock out the head-end.
 */
final class TcpServerEndpoint implements ServerEndpoint, TcpLoop.Ready, TcpLoop.Expiring {
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
   * After a failed accept the listener stops accepting this long, doubling up to {@link #MAX_ACCEPT_BACKOFF} while
   * accept keeps failing: out of file descriptors (EMFILE) accept fails at once (the connection stays pending, so
   * the selector reports it again at once), and retrying at once spun a core and wrote 1.5 million log lines at
   * 3,900 meters in one process.
   */
  static final Duration FIRST_ACCEPT_BACKOFF = Duration.ofMillis(100);
  static final Duration MAX_ACCEPT_BACKOFF = Duration.ofSeconds(1);

  /** How the listener waits before it accepts again: calls {@code resume} after {@code d} (a test at once). */
  interface Pause {
    void pause(Duration d, Runnable resume);
  }

  /** Accepts one pending connection, null when none is pending (a test's stand-in fails on purpose). */
  interface Acceptor {
    SocketChannel accept(ServerSocketChannel server) throws IOException;
  }

  private final TcpLoop loop = TcpLoop.shared();
  private final ServerSocketChannel server;
  private final Acceptor acceptor;
  private final PduHandler handler;
  private final MeterUrl localUrl;
  private final Duration preAssociationTimeout;
  private final int maxConnections;
  private final int maxConnectionsPerAddress;
  private final Pause acceptPause;
  private final Map<TcpPeer, Connection> connections = new ConcurrentHashMap<>();
  private final AtomicLong connectionIds = new AtomicLong();
  /** Threads in the handler for this endpoint's PDUs now. Guarded by itself, as is {@link #inFlight}. */
  private final Set<Thread> handling = new java.util.HashSet<>();
  /** PDUs read and not yet handled (queued for a worker or in the handler); close() waits for them. */
  private int inFlight;
  private volatile boolean closed;
  // accept backoff, selector thread only
  private SelectionKey acceptKey;
  private Duration backoff; // non-null while accept fails (one episode)
  private int failures;
  private long failingSince;

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

  private TcpServerEndpoint(ServerSocketChannel server, Acceptor acceptor, PduHandler handler,
      Duration preAssociationTimeout, int maxConnections, int maxConnectionsPerAddress, Pause acceptPause)
      throws IOException {
    this.server = server;
    this.acceptor = acceptor;
    this.acceptPause = acceptPause;
    this.maxConnections = maxConnections;
    this.maxConnectionsPerAddress = maxConnectionsPerAddress;
    this.handler = handler;
    this.preAssociationTimeout = preAssociationTimeout;
    InetSocketAddress local = (InetSocketAddress) server.getLocalAddress();
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
    ServerSocketChannel ss = ServerSocketChannel.open();
    try {
      ss.setOption(StandardSocketOptions.SO_REUSEADDR, true);
      ss.bind(address, 50);
    } catch (IOException e) {
      ss.close();
      throw new IOException("cannot listen on tcp://" + address.getHostString() + ":" + address.getPort() + ": "
          + e.getMessage(), e);
    }
    TcpLoop l = TcpLoop.shared();
    return serve(ss, ServerSocketChannel::accept, handler, preAssociationTimeout, maxConnections,
        maxConnectionsPerAddress, (d, resume) -> l.later(d, resume));
  }

  /** Accepts on a bound {@code server} through {@code acceptor} with the given pause after failed accepts. */
  static TcpServerEndpoint serve(ServerSocketChannel server, Acceptor acceptor, PduHandler handler,
      Duration preAssociationTimeout, int maxConnections, int maxConnectionsPerAddress, Pause acceptPause)
      throws IOException {
    server.configureBlocking(false);
    TcpServerEndpoint ep = new TcpServerEndpoint(server, acceptor, handler, preAssociationTimeout, maxConnections,
        maxConnectionsPerAddress, acceptPause);
    ep.loop.addExpiring(ep);
    ep.loop.onLoop(() -> {
      if (ep.closed) {
        return;
      }
      try {
        ep.acceptKey = server.register(ep.loop.selector(), SelectionKey.OP_ACCEPT, ep);
      } catch (IOException e) {
        log.error("cannot accept on {}: {}", ep.localUrl, e.getMessage());
      }
    });
    return ep;
  }

  @Override
  public MeterUrl localUrl() {
    return localUrl;
  }

  /** The listener is acceptable (selector thread): accepts what is pending. */
  @Override
  public void ready(SelectionKey key) {
    while (!closed) {
      SocketChannel s;
      try {
        s = acceptor.accept(server);
      } catch (IOException e) {
        if (closed) {
          return;
        }
        acceptFailed(key, e);
        return;
      }
      if (s == null) {
        return;
      }
      if (backoff != null) {
        log.warn("accept on {} works again after {} failed attempts in {} ms", localUrl, failures,
            (System.nanoTime() - failingSince) / 1_000_000);
        backoff = null;
        failures = 0;
      }
      accepted(s);
    }
  }

  private void acceptFailed(SelectionKey key, IOException e) {
    if (backoff == null) {
      // once per episode: EMFILE fails every attempt until a descriptor is free again
      log.warn("accept on {} failed: {}; retrying after {} ms, doubling up to {} ms while it fails (logged again"
          + " when it works)", localUrl, e.getMessage(), FIRST_ACCEPT_BACKOFF.toMillis(),
          MAX_ACCEPT_BACKOFF.toMillis());
      backoff = FIRST_ACCEPT_BACKOFF;
      failingSince = System.nanoTime();
    }
    failures++;
    Duration wait = backoff;
    backoff = backoff.multipliedBy(2).compareTo(MAX_ACCEPT_BACKOFF) > 0 ? MAX_ACCEPT_BACKOFF
        : backoff.multipliedBy(2);
    key.interestOps(0); // the pending connection would wake the selector again at once
    acceptPause.pause(wait, () -> loop.onLoop(() -> {
      if (!closed && key.isValid()) {
        key.interestOps(SelectionKey.OP_ACCEPT);
      }
    }));
  }

  private void accepted(SocketChannel s) {
    InetSocketAddress remote;
    try {
      remote = (InetSocketAddress) s.getRemoteAddress();
    } catch (IOException e) {
      closeQuietly(s);
      return;
    }
    if (connections.size() >= maxConnections) {
      log.warn("refusing connection from {}: {} connections open", remote, maxConnections);
      closeQuietly(s);
      return;
    }
    InetAddress from = remote.getAddress();
    long fromSameAddress = connections.keySet().stream().filter(p -> p.remote().getAddress().equals(from)).count();
    if (fromSameAddress >= maxConnectionsPerAddress) {
      log.warn("refusing connection from {}: {} connections open from that address", remote,
          maxConnectionsPerAddress);
      closeQuietly(s);
      return;
    }
    TcpPeer peer = new TcpPeer(remote, connectionIds.incrementAndGet());
    Connection c = new Connection(peer, s);
    try {
      s.configureBlocking(false);
      s.setOption(StandardSocketOptions.TCP_NODELAY, true);
      connections.put(peer, c);
      c.key = s.register(loop.selector(), SelectionKey.OP_READ, c);
    } catch (IOException e) {
      log.debug("{}: {}", peer, e.getMessage());
      c.close();
      return;
    }
    log.debug("{} connected", peer);
  }

  /** Closes connections past their deadline (selector thread). */
  @Override
  public void expire(long now) {
    for (Connection c : connections.values()) {
      c.expire(now);
    }
  }

  /** One accepted connection: reads whole PDUs on the selector thread, handles them on a worker, one at a time. */
  private final class Connection implements TcpLoop.Ready {
    final TcpPeer peer;
    final SocketChannel channel;
    final long associateBy = System.nanoTime() + preAssociationTimeout.toNanos();
    final Object writing = new Object();
    SelectionKey key;
    // selector thread only
    private final ByteBuffer header = ByteBuffer.allocate(WrapperPdu.HEADER_LENGTH);
    private ByteBuffer pdu;
    private volatile long lastActive = System.nanoTime();
    private volatile boolean associated;
    // guarded by this
    private boolean busy; // a PDU is in the handler
    private boolean gone; // closed; handler.closed() is called once the handler is done

    Connection(TcpPeer peer, SocketChannel channel) {
      this.peer = peer;
      this.channel = channel;
    }

    @Override
    public void ready(SelectionKey k) {
      try {
        read();
      } catch (EOFException e) {
        log.info("dropping {}: {}", peer, e.getMessage());
        close();
      } catch (IOException e) {
        log.debug("{}: {}", peer, e.getMessage()); // reset by the peer
        close();
      }
    }

    private void read() throws IOException {
      if (pdu == null) {
        if (channel.read(header) < 0) {
          if (header.position() > 0) {
            throw new EOFException("connection closed inside a wrapper PDU");
          }
          log.debug("{} closed by the peer", peer);
          close();
          return;
        }
        if (header.hasRemaining()) {
          return;
        }
        byte[] h = header.array();
        String bad = WrapperPdu.checkHeader(h, TcpTransport.MAX_APDU);
        if (bad != null) {
          // a stream that is not wrapper PDUs cannot be resynchronised: drop the connection
          log.info("dropping {}: {}", peer, bad);
          close();
          return;
        }
        pdu = ByteBuffer.allocate(WrapperPdu.HEADER_LENGTH + WrapperPdu.apduLength(h));
        pdu.put(h);
        header.clear();
      }
      if (channel.read(pdu) < 0) {
        throw new EOFException("connection closed inside a wrapper PDU");
      }
      if (pdu.hasRemaining()) {
        return;
      }
      byte[] complete = pdu.array();
      pdu = null;
      synchronized (this) {
        if (gone) {
          return;
        }
        busy = true;
      }
      synchronized (handling) {
        inFlight++;
      }
      key.interestOps(0); // one PDU at a time: nothing more is read until the handler is done with this one
      loop.work(() -> handle(complete));
    }

    private void handle(byte[] complete) {
      Thread me = Thread.currentThread();
      synchronized (handling) {
        handling.add(me);
      }
      boolean failed = false;
      try {
        handler.received(peer, complete, TcpServerEndpoint.this);
        if (!associated) {
          associated = handler.associated(peer);
        }
      } catch (RuntimeException e) {
        log.error("handler failed for {}", peer, e);
        failed = true;
      } finally {
        lastActive = System.nanoTime();
        boolean closeNow;
        synchronized (this) {
          busy = false;
          closeNow = gone;
        }
        synchronized (handling) {
          handling.remove(me);
          inFlight--;
          handling.notifyAll();
        }
        if (closeNow) {
          closedForHandler();
        } else if (failed) {
          close();
        } else {
          loop.onLoop(() -> {
            if (key.isValid()) {
              key.interestOps(SelectionKey.OP_READ);
            }
          });
        }
      }
    }

    void expire(long now) {
      synchronized (this) {
        if (busy || gone) {
          return;
        }
      }
      if (!associated) {
        associated = handler.associated(peer);
      }
      if (associated) {
        if (now - lastActive >= IDLE_TIMEOUT_MS * 1_000_000L) {
          log.debug("{} idle, closing", peer);
          close();
        }
      } else if (now - associateBy >= 0) {
        log.info("closing {}: no association within {} s", peer, preAssociationTimeout.toSeconds());
        close();
      }
    }

    void send(byte[] bytes) throws IOException {
      ByteBuffer b = ByteBuffer.wrap(bytes);
      synchronized (writing) {
        while (b.hasRemaining()) {
          if (channel.write(b) == 0) {
            awaitWritable();
          }
        }
      }
    }

    /** The peer's receive window is full: waits (as a blocking socket would) on a selector of its own. */
    private void awaitWritable() throws IOException {
      try (Selector s = Selector.open()) {
        channel.register(s, SelectionKey.OP_WRITE);
        if (s.select(IDLE_TIMEOUT_MS) == 0) {
          close();
          throw new IOException("peer " + peer.id() + " does not read");
        }
      }
    }

    void close() {
      boolean handlerDone;
      synchronized (this) {
        if (gone) {
          return;
        }
        gone = true;
        handlerDone = !busy;
      }
      closeQuietly(channel);
      if (handlerDone) {
        closedForHandler();
      }
    }

    private void closedForHandler() {
      connections.remove(peer);
      try {
        handler.closed(peer);
      } catch (RuntimeException e) {
        log.error("handler failed for {}", peer, e);
      }
      log.debug("{} closed", peer);
    }
  }

  @Override
  public boolean datagram() {
    return false;
  }

  @Override
  public void send(Peer peer, byte[] pdu) throws IOException {
    Connection c = connections.get(peer);
    if (c == null) {
      throw new IOException("peer " + peer.id() + " is gone");
    }
    c.send(pdu);
  }

  /**
   * Stops listening, closes every connection and waits (up to {@link #DRAIN_ON_CLOSE}) for the PDUs being handled,
   * so that a caller closing what the handler writes to (a database) closes it after the last one.
   */
  @Override
  public void close() {
    closed = true;
    loop.removeExpiring(this);
    closeQuietly(server);
    connections.values().forEach(Connection::close);
    loop.settle(); // the port is free again when close() returns, as with a blocking socket
    long deadline = System.nanoTime() + DRAIN_ON_CLOSE.toNanos();
    Thread me = Thread.currentThread();
    int left;
    synchronized (handling) {
      // a handler closing its own endpoint does not wait for itself
      while ((left = inFlight - (handling.contains(me) ? 1 : 0)) > 0) {
        long wait = deadline - System.nanoTime();
        if (wait <= 0) {
          break;
        }
        try {
          handling.wait(Math.max(1, wait / 1_000_000));
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return;
        }
      }
    }
    if (left > 0) {
      log.warn("{} closed with {} PDUs still being handled after {} s", localUrl, left, DRAIN_ON_CLOSE.toSeconds());
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
