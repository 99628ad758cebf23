package org.s3mp.dlms.transport.tcp;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.s3mp.dlms.transport.MeterUrl;
import org.s3mp.dlms.transport.PduHandler;
import org.s3mp.dlms.transport.Peer;
import org.s3mp.dlms.transport.ServerEndpoint;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** A TCP listener: one thread per connection (a meter has few clients), each connection one {@link Peer}. */
final class TcpServerEndpoint implements ServerEndpoint {
  private static final Logger log = LoggerFactory.getLogger(TcpServerEndpoint.class);
  /** More simultaneous connections than a meter needs; beyond this new ones are closed at once. */
  static final int MAX_CONNECTIONS = 32;
  /** An idle connection is closed after this long (DLMS wrapper inactivity time-out). */
  static final int IDLE_TIMEOUT_MS = 180_000;

  private final ServerSocket server;
  private final PduHandler handler;
  private final MeterUrl localUrl;
  private final Map<TcpPeer, Socket> connections = new ConcurrentHashMap<>();
  private final AtomicLong connectionIds = new AtomicLong();
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

  private TcpServerEndpoint(ServerSocket server, PduHandler handler) {
    this.server = server;
    this.handler = handler;
    InetSocketAddress local = (InetSocketAddress) server.getLocalSocketAddress();
    String host = local.getAddress().getHostAddress();
    this.localUrl = new MeterUrl("tcp", (host.contains(":") ? "[" + host + "]" : host) + ":" + local.getPort());
  }

  static TcpServerEndpoint start(InetSocketAddress address, PduHandler handler) throws IOException {
    ServerSocket ss = new ServerSocket();
    try {
      ss.setReuseAddress(true);
      ss.bind(address, 50);
    } catch (IOException e) {
      ss.close();
      throw new IOException("cannot listen on tcp://" + address.getHostString() + ":" + address.getPort() + ": "
          + e.getMessage(), e);
    }
    TcpServerEndpoint ep = new TcpServerEndpoint(ss, handler);
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
    while (!closed) {
      Socket s;
      try {
        s = server.accept();
      } catch (IOException e) {
        if (!closed) {
          log.warn("accept on {} failed: {}", localUrl, e.getMessage());
        }
        continue;
      }
      if (connections.size() >= MAX_CONNECTIONS) {
        log.warn("refusing connection from {}: {} connections open", s.getRemoteSocketAddress(), MAX_CONNECTIONS);
        closeQuietly(s);
        continue;
      }
      TcpPeer peer = new TcpPeer((InetSocketAddress) s.getRemoteSocketAddress(), connectionIds.incrementAndGet());
      connections.put(peer, s);
      Thread t = new Thread(() -> serve(peer, s), "dlms-tcp-" + peer.id());
      t.setDaemon(true);
      t.start();
    }
  }

  private void serve(TcpPeer peer, Socket s) {
    log.debug("{} connected", peer);
    try (s) {
      s.setTcpNoDelay(true);
      s.setSoTimeout(IDLE_TIMEOUT_MS);
      InputStream in = new BufferedInputStream(s.getInputStream());
      while (!closed) {
        byte[] pdu = WrapperStream.read(in);
        if (pdu == null) {
          break;
        }
        handler.received(peer, pdu, this);
      }
    } catch (SocketTimeoutException e) {
      log.debug("{} idle, closing", peer);
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

  @Override
  public void close() {
    closed = true;
    closeQuietly(server);
    connections.values().forEach(TcpServerEndpoint::closeQuietly);
  }

  private static void closeQuietly(AutoCloseable c) {
    try {
      c.close();
    } catch (Exception ignored) {
      // closing anyway
    }
  }
}
