package org.s3mp.dlms.transport.scion;

import java.io.IOException;
import java.net.InetAddress;
import java.time.Clock;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.s3mp.dlms.drkey.DrkeyKeySource;
import org.s3mp.scion.IsdAs;
import org.s3mp.scion.daemon.DaemonClient;
import org.s3mp.scion.path.CachedPathSource;
import org.s3mp.scion.path.PathSource;
import org.s3mp.scion.socket.ScionDatagramSocket;
import org.s3mp.scion.socket.SharedScionSocket;

/**
 * What all SCION links of one process to one daemon share: the daemon connection (one gRPC channel, not one per
 * meter), one SCION socket per local host (one UDP port and one receiving thread for all meters, not one each),
 * the daemon's paths cached per destination AS (one lookup for all meters of an AS, not one per meter) and the
 * DRKey key sources with their key caches. Counted by its users; the last link to close closes
 * it, so a later testbed on the same address never meets stale keys.
 */
final class ScionService implements AutoCloseable {
  private static final Map<String, ScionService> SHARED = new HashMap<>(); // guarded by itself

  private final String daemonAddress;
  private final DaemonClient daemon;
  private final Map<Integer, DrkeyKeySource> drkey = new ConcurrentHashMap<>();
  private final Map<IsdAs, PathSource> paths = new ConcurrentHashMap<>();
  /** By local host and whether EPIC is on (a socket-wide setting). */
  private final Map<String, SharedScionSocket> sockets = new HashMap<>(); // guarded by itself
  private int users; // guarded by SHARED

  private ScionService(String daemonAddress, DaemonClient daemon) {
    this.daemonAddress = daemonAddress;
    this.daemon = daemon;
  }

  /** The service for a daemon, shared with the process's other links to it; close it once when done. */
  static ScionService acquire(String daemonAddress) {
    synchronized (SHARED) {
      ScionService s = SHARED.computeIfAbsent(daemonAddress, a -> new ScionService(a, DaemonClient.connect(a)));
      s.users++;
      return s;
    }
  }

  String daemonAddress() {
    return daemonAddress;
  }

  DaemonClient daemon() {
    return daemon;
  }

  /** The daemon's paths from {@code local}, cached per destination AS for all links of this service. */
  PathSource paths(IsdAs local) {
    return paths.computeIfAbsent(local,
        ia -> new CachedPathSource((dst, refresh) -> daemon.paths(ia, dst, refresh)));
  }

  /** The socket the links from {@code host} share, opened on first use (a free port in the dispatched range). */
  SharedScionSocket socket(InetAddress host, boolean epic) throws IOException {
    synchronized (sockets) {
      String key = host.getHostAddress() + (epic ? "/epic" : "");
      SharedScionSocket s = sockets.get(key);
      if (s == null) {
        ScionDatagramSocket socket = ScionDatagramSocket.open(daemon, host, 0);
        socket.useEpic(epic);
        s = SharedScionSocket.start(socket);
        sockets.put(key, s);
      }
      return s;
    }
  }

  /** The DRKey keys for DLMS under a protocol number (validated by {@link DrkeyKeySource}). */
  DrkeyKeySource drkey(int protocol) {
    return drkey.computeIfAbsent(protocol, p -> new DrkeyKeySource(daemon, p, Clock.systemUTC()));
  }

  @Override
  public void close() {
    synchronized (SHARED) {
      if (--users == 0) {
        SHARED.remove(daemonAddress);
        synchronized (sockets) {
          sockets.values().forEach(SharedScionSocket::close);
          sockets.clear();
        }
        daemon.close();
      }
    }
  }
}
