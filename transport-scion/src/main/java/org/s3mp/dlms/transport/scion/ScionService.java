package org.s3mp.dlms.transport.scion;

import java.time.Clock;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.s3mp.dlms.drkey.DrkeyKeySource;
import org.s3mp.scion.IsdAs;
import org.s3mp.scion.daemon.DaemonClient;
import org.s3mp.scion.path.CachedPathSource;
import org.s3mp.scion.path.PathSource;

/**
 * What all SCION links of one process to one daemon share: the daemon connection (one gRPC channel, not one per
 * meter), the daemon's paths cached per destination AS (one lookup for all meters of an AS, not one per meter)
 * and the DRKey key sources with their key caches. Counted by its users; the last link to close closes
 * it, so a later testbed on the same address never meets stale keys.
 */
final class ScionService implements AutoCloseable {
  private static final Map<String, ScionService> SHARED = new HashMap<>(); // guarded by itself

  private final String daemonAddress;
  private final DaemonClient daemon;
  private final Map<Integer, DrkeyKeySource> drkey = new ConcurrentHashMap<>();
  private final Map<IsdAs, PathSource> paths = new ConcurrentHashMap<>();
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

  /** The DRKey keys for DLMS under a protocol number (validated by {@link DrkeyKeySource}). */
  DrkeyKeySource drkey(int protocol) {
    return drkey.computeIfAbsent(protocol, p -> new DrkeyKeySource(daemon, p, Clock.systemUTC()));
  }

  @Override
  public void close() {
    synchronized (SHARED) {
      if (--users == 0) {
        SHARED.remove(daemonAddress);
        daemon.close();
      }
    }
  }
}
