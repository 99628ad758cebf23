package org.s3mp.scion.path;

import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import org.s3mp.scion.IsdAs;
import org.s3mp.scion.PathInterface;
import org.s3mp.scion.ScionPath;
import org.s3mp.scion.daemon.DaemonClient;
import org.s3mp.scion.daemon.DaemonException;
import org.s3mp.scion.packet.ScmpMessage;
import org.s3mp.scion.policy.NoCompliantPathException;
import org.s3mp.scion.policy.PathPolicy;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Chooses the path for each destination: the first path in the policy's order that is neither expired nor
 * marked faulty. Paths are cached per destination and fetched again before the earliest one expires. A path is
 * marked faulty by SCMP external-interface-down (type 5) or internal-connectivity-down (type 6) naming one of
 * its interfaces, or by the application reporting a timeout; a faulty path gets another chance after
 * {@code reprobeAfter}, or as soon as a probe over it is answered ({@link #dueForProbe}). Only policy-compliant
 * paths are ever returned ({@link org.s3mp.scion.policy.NoCompliantPathException} otherwise). Each path has its own
 * retransmission timeout, derived from its measured round trips ({@link #retransmissionTimeout}). Thread-safe.
 */
public final class PathSelector implements Consumer<ScmpMessage> {
  private static final Logger LOG = LoggerFactory.getLogger(PathSelector.class);

  private final PathSource source;
  private final PathPolicy policy;
  private final Clock clock;
  private final Duration refreshBefore;
  private final Duration maxAge;
  private final Duration reprobeAfter;
  private final Consumer<ScmpMessage.ExternalInterfaceDown> downListener;
  private final Map<IsdAs, Entry> cache = new HashMap<>();
  private final Map<String, Instant> faultyUntil = new HashMap<>();
  private final Map<String, Instant> lastProbe = new HashMap<>();
  private final Map<String, RetransmissionTimer> timers = new HashMap<>();

  /** Before a path's first measured round trip (RFC 6298's initial value). */
  static final Duration INITIAL_RTO = Duration.ofSeconds(1);
  /** Below this a late answer (a JIT or GC pause of the meter) would too often pass for a lost request. */
  static final Duration MIN_RTO = Duration.ofMillis(200);
  static final Duration MAX_RTO = Duration.ofSeconds(5);
  /** How often a faulty path is probed while requests go over another. */
  static final Duration PROBE_INTERVAL = Duration.ofMillis(500);

  private static final class Entry {
    List<ScionPath> paths;
    int candidates;
    Instant fetchedAt;
    ScionPath current;
  }

  public PathSelector(PathSource source, PathPolicy policy, Clock clock, Duration refreshBefore, Duration maxAge,
      Duration reprobeAfter, Consumer<ScmpMessage.ExternalInterfaceDown> downListener) {
    this.source = source;
    this.policy = policy;
    this.clock = clock;
    this.refreshBefore = refreshBefore;
    this.maxAge = maxAge;
    this.reprobeAfter = reprobeAfter;
    this.downListener = downListener;
  }

  /**
   * A selector over the daemon's paths from {@code localIa}: refresh 60 s before expiry or every 5 minutes,
   * re-probe faulty paths after 10 s, and tell the daemon about links reported down (as scionproto does).
   */
  public static PathSelector create(DaemonClient daemon, IsdAs localIa, PathPolicy policy) {
    return create(daemon, (dst, refresh) -> daemon.paths(localIa, dst, refresh), policy);
  }

  /**
   * As {@link #create(DaemonClient, IsdAs, PathPolicy)}, with the paths from {@code paths} (e.g. a {@link
   * CachedPathSource} that many selectors share).
   */
  public static PathSelector create(DaemonClient daemon, PathSource paths, PathPolicy policy) {
    return new PathSelector(paths, policy, Clock.systemUTC(),
        Duration.ofSeconds(60), Duration.ofMinutes(5), Duration.ofSeconds(10), down -> {
          try {
            daemon.notifyInterfaceDown(down.isdAs(), down.interfaceId());
          } catch (DaemonException e) {
            LOG.debug("could not tell the daemon about {}#{}: {}", down.isdAs(), down.interfaceId(), e.getMessage());
          }
        });
  }

  public PathPolicy policy() {
    return policy;
  }

  /** The path to use now for {@code destination}. */
  public synchronized ScionPath select(IsdAs destination) throws IOException {
    Instant now = clock.instant();
    Entry e = cache.get(destination);
    if (e == null || needsRefresh(e, now)) {
      e = refresh(destination, e, now, false);
    }
    ScionPath chosen = firstUsable(e, now);
    if (chosen == null && !now.isBefore(e.fetchedAt.plusSeconds(1))) {
      // Every compliant path is faulty or expired: ask the daemon for fresh ones before probing a faulty one.
      e = refresh(destination, e, now, true);
      chosen = firstUsable(e, now);
    }
    if (chosen == null) {
      chosen = leastRecentlyFailed(e, now);
    }
    if (e.current != null && !e.current.fingerprint().equals(chosen.fingerprint())) {
      LOG.info("path to {} switched from {} to {}", destination, e.current.hops(), chosen.hops());
    }
    e.current = chosen;
    return chosen;
  }

  /** The compliant paths to {@code destination} in preference order (fetching them if needed). */
  public synchronized List<ScionPath> compliantPaths(IsdAs destination) throws IOException {
    Instant now = clock.instant();
    Entry e = cache.get(destination);
    if (e == null || needsRefresh(e, now)) {
      e = refresh(destination, e, now, false);
    }
    return List.copyOf(e.paths);
  }

  /** The path last returned by {@link #select} for this destination. */
  public synchronized Optional<ScionPath> current(IsdAs destination) {
    Entry e = cache.get(destination);
    return Optional.ofNullable(e == null ? null : e.current);
  }

  public synchronized boolean isFaulty(ScionPath path) {
    Instant until = faultyUntil.get(path.fingerprint());
    return until != null && until.isAfter(clock.instant());
  }

  /** The application got no answer over this path in time: faulty, and a longer timeout next time. */
  public synchronized void reportTimeout(ScionPath path) {
    Duration waited = timer(path).timeout();
    timer(path).backOff();
    markFaulty(path, "no answer within " + waited.toMillis() + " ms");
  }

  /** Traffic over this path worked: it is healthy again. */
  public synchronized void reportSuccess(ScionPath path) {
    if (faultyUntil.remove(path.fingerprint()) != null) {
      LOG.info("path {} works again", path.hops());
    }
  }

  /** A request sent once over {@code path} was answered after {@code rtt}: healthy, and a new timeout. */
  public synchronized void reportRoundTrip(ScionPath path, Duration rtt) {
    timer(path).sample(rtt);
    reportSuccess(path);
  }

  /** How long to wait for an answer over {@code path} before sending again (over the next path). */
  public synchronized Duration retransmissionTimeout(ScionPath path) {
    return timer(path).timeout();
  }

  /** The smoothed round trip measured on {@code path}, if any. */
  public synchronized Optional<Duration> smoothedRoundTrip(ScionPath path) {
    return Optional.ofNullable(timer(path).smoothedRtt());
  }

  /**
   * The faulty paths to {@code destination} due for a probe (at most one per path every {@link #PROBE_INTERVAL}):
   * the caller sends one over each and reports an answer with {@link #reportSuccess}, so a repaired path is used
   * again without a request having to wait for it.
   */
  public synchronized List<ScionPath> dueForProbe(IsdAs destination) {
    Entry e = cache.get(destination);
    if (e == null) {
      return List.of();
    }
    Instant now = clock.instant();
    List<ScionPath> due = new ArrayList<>();
    for (ScionPath p : e.paths) {
      Instant last = lastProbe.get(p.fingerprint());
      if (isFaulty(p) && (last == null || !now.isBefore(last.plus(PROBE_INTERVAL)))) {
        lastProbe.put(p.fingerprint(), now);
        due.add(p);
      }
    }
    return due;
  }

  private RetransmissionTimer timer(ScionPath path) {
    return timers.computeIfAbsent(path.fingerprint(), f -> new RetransmissionTimer(INITIAL_RTO, MIN_RTO, MAX_RTO));
  }

  /** SCMP errors from the socket: types 5 and 6 mark every cached path over the failed link faulty. */
  @Override
  public void accept(ScmpMessage m) {
    if (m instanceof ScmpMessage.ExternalInterfaceDown down) {
      onLinkDown(pi -> pi.isdAs().equals(down.isdAs()) && pi.id() == down.interfaceId(), 1,
          "SCMP external interface down " + down.isdAs() + "#" + down.interfaceId());
      if (downListener != null) {
        downListener.accept(down);
      }
    } else if (m instanceof ScmpMessage.InternalConnectivityDown icd) {
      onLinkDown(pi -> pi.isdAs().equals(icd.isdAs()) && (pi.id() == icd.ingressId() || pi.id() == icd.egressId()),
          2, "SCMP internal connectivity down in " + icd.isdAs() + " between " + icd.ingressId() + " and "
              + icd.egressId());
    }
  }

  private synchronized void onLinkDown(java.util.function.Predicate<PathInterface> match, int needed, String why) {
    for (Entry e : cache.values()) {
      for (ScionPath p : e.paths) {
        long hits = p.interfaces().stream().filter(match).count();
        if (hits >= needed) {
          markFaulty(p, why);
        }
      }
    }
  }

  private void markFaulty(ScionPath path, String why) {
    LOG.info("path {} marked faulty ({}), retried after {}", path.hops(), why, reprobeAfter);
    faultyUntil.put(path.fingerprint(), clock.instant().plus(reprobeAfter));
    lastProbe.put(path.fingerprint(), clock.instant()); // the first probe one interval after the failure
  }

  private boolean needsRefresh(Entry e, Instant now) {
    if (!now.isBefore(e.fetchedAt.plus(maxAge))) {
      return true;
    }
    for (ScionPath p : e.paths) {
      if (!now.isBefore(p.expiry().minus(refreshBefore))) {
        return true;
      }
    }
    return e.paths.isEmpty();
  }

  private Entry refresh(IsdAs dst, Entry old, Instant now, boolean force) throws IOException {
    List<ScionPath> fetched;
    try {
      fetched = source.paths(dst, force);
    } catch (IOException ex) {
      if (old != null && old.paths.stream().anyMatch(p -> p.expiry().isAfter(now))) {
        LOG.warn("path refresh for {} failed, keeping cached paths: {}", dst, ex.getMessage());
        return old;
      }
      throw ex;
    }
    List<ScionPath> live = new ArrayList<>();
    for (ScionPath p : fetched) {
      if (p.expiry().isAfter(now)) {
        live.add(p);
      }
    }
    Entry e = old != null ? old : new Entry();
    if (live.isEmpty() && old != null && old.paths.stream().anyMatch(p -> p.expiry().isAfter(now))) {
      // the daemon drops the paths over an interface reported down: with every link cut it knows none, and the
      // cached ones are what the selector re-probes to find the link back up
      LOG.warn("the daemon knows no path to {} now; keeping the {} cached paths to probe", dst, old.paths.size());
      e.fetchedAt = now;
      return e;
    }
    List<ScionPath> compliant;
    try {
      compliant = policy.apply(dst, live); // fails closed, naming the policy
    } catch (NoCompliantPathException ex) {
      if (force) {
        throw ex;
      }
      // a cache shared with other links may hold an answer from while a link was down (the daemon leaves out
      // paths over interfaces reported down): the one the policy wants may be back
      return refresh(dst, old, now, true);
    }
    e.paths = compliant;
    e.candidates = fetched.size();
    e.fetchedAt = now;
    cache.put(dst, e);
    return e;
  }

  /**
   * The first usable path in preference order, but while some paths are faulty the first one that shares no
   * interface with any of them: a timeout does not say which link broke, and the next path in order often runs
   * over the same one (the same uplink through another core), which would cost another timeout.
   */
  private ScionPath firstUsable(Entry e, Instant now) {
    java.util.Set<PathInterface> failed = new java.util.HashSet<>();
    for (ScionPath p : e.paths) {
      if (faultyAt(p, now)) {
        failed.addAll(p.interfaces());
      }
    }
    ScionPath first = null;
    for (ScionPath p : e.paths) {
      if (!p.expiry().isAfter(now) || faultyAt(p, now)) {
        continue;
      }
      if (failed.isEmpty() || p.interfaces().stream().noneMatch(failed::contains)) {
        return p;
      }
      if (first == null) {
        first = p;
      }
    }
    return first;
  }

  private boolean faultyAt(ScionPath p, Instant now) {
    Instant until = faultyUntil.get(p.fingerprint());
    return until != null && until.isAfter(now);
  }

  private ScionPath leastRecentlyFailed(Entry e, Instant now) throws IOException {
    ScionPath best = null;
    Instant bestUntil = null;
    for (ScionPath p : e.paths) {
      if (!p.expiry().isAfter(now)) {
        continue;
      }
      Instant until = faultyUntil.getOrDefault(p.fingerprint(), Instant.MIN);
      if (best == null || until.isBefore(bestUntil)) {
        best = p;
        bestUntil = until;
      }
    }
    if (best == null) {
      throw new IOException("all paths to the destination have expired");
    }
    return best;
  }
}
