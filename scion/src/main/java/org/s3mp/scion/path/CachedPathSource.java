package org.s3mp.scion.path;

import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.s3mp.scion.IsdAs;
import org.s3mp.scion.ScionPath;

/**
 * One path lookup per destination AS for many {@link PathSelector}s (one per meter link; a head-end has many
 * meters in one AS): the source's paths are kept per destination until {@code refreshBefore} before the first
 * of them expires, or {@code maxAge}, as a selector's own cache does. A forced refresh (a selector found every
 * path faulty) asks the source again, unless another one did within {@code coalesce}: after a link failure all
 * selectors of that AS ask at once, and one fresh answer serves them all. Lookups for one destination wait for
 * each other; different destinations do not. Thread-safe.
 */
public final class CachedPathSource implements PathSource {
  private final PathSource source;
  private final Clock clock;
  private final Duration refreshBefore;
  private final Duration maxAge;
  private final Duration coalesce;
  private final Map<IsdAs, Entry> cache = new ConcurrentHashMap<>();

  /** The paths to one destination; guarded by itself. */
  private static final class Entry {
    List<ScionPath> paths;
    Instant fetchedAt;
    Instant forcedAt;
  }

  public CachedPathSource(PathSource source, Clock clock, Duration refreshBefore, Duration maxAge,
      Duration coalesce) {
    this.source = source;
    this.clock = clock;
    this.refreshBefore = refreshBefore;
    this.maxAge = maxAge;
    this.coalesce = coalesce;
  }

  /**
   * Refresh 60 s before expiry or every 10 s: an answer from while a link was down lacks the paths over it (the
   * daemon leaves them out for a while after it was told), and new links should not inherit that for minutes.
   * One lookup per destination AS every 10 s is still nothing beside one per link.
   */
  public CachedPathSource(PathSource source) {
    this(source, Clock.systemUTC(), Duration.ofSeconds(60), Duration.ofSeconds(10), Duration.ofSeconds(1));
  }

  @Override
  public List<ScionPath> paths(IsdAs destination, boolean refresh) throws IOException {
    Entry e = cache.computeIfAbsent(destination, d -> new Entry());
    synchronized (e) {
      Instant now = clock.instant();
      boolean fresh = e.paths != null && !stale(e, now);
      if (fresh && (!refresh || (e.forcedAt != null && now.isBefore(e.forcedAt.plus(coalesce))))) {
        return e.paths;
      }
      List<ScionPath> fetched = List.copyOf(source.paths(destination, refresh)); // a failure keeps the old entry
      // none at all after a link failure (the daemon drops paths over interfaces reported down): the selectors
      // re-probe the paths they had, so those stay until they expire
      if (!fetched.isEmpty() || e.paths == null || e.paths.stream().noneMatch(p -> p.expiry().isAfter(now))) {
        e.paths = fetched;
      }
      e.fetchedAt = now;
      if (refresh) {
        e.forcedAt = now;
      }
      return e.paths;
    }
  }

  private boolean stale(Entry e, Instant now) {
    if (e.paths.isEmpty() || !now.isBefore(e.fetchedAt.plus(maxAge))) {
      return true;
    }
    for (ScionPath p : e.paths) {
      if (!now.isBefore(p.expiry().minus(refreshBefore))) {
        return true;
      }
    }
    return false;
  }
}
