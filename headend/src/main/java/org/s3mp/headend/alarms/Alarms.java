package org.s3mp.headend.alarms;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.s3mp.headend.fleet.Reading;
import org.s3mp.headend.polling.MeterStatus;
import org.s3mp.headend.polling.SessionEvents;
import org.s3mp.headend.storage.Database;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The head-end's alarms: meters not read for N poll intervals, repeated association failures, refused commands
 * and pushes, and failover storms. The hooks ({@link #sessionEvents()}, {@link #readingStored},
 * {@link #pushRefused}) only note what happened in memory; {@link #evaluate()} (every
 * {@link AlarmRules#checkInterval()} on a thread of its own) applies the rules and writes the alarms, so a
 * flood of refused pushes costs one database write per alarm and check, and no meter thread waits for it.
 * Open alarms by kind are the gauge {@code headend.alarms.open{kind}}.
 */
public final class Alarms implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(Alarms.class);
  /** Distinct sources of events waiting for the next check at most (the rest count as "other sources"). */
  private static final int MAX_PENDING = 256;
  /**
   * On top of N poll intervals, as the fleet's "late" state allows (MeterStatus): with short intervals a first
   * association over SCION alone took longer than 3 s and raised an alarm for a meter about to be read.
   */
  static final Duration NOT_READ_SLACK = Duration.ofSeconds(5);

  private final AlarmStore store;
  private final AlarmRules rules;
  /** The meters polled here. */
  private final Supplier<List<MeterStatus>> fleet;
  /** Every meter in the registry (also those other instances poll). */
  private final Supplier<Set<String>> registered;
  private final Clock clock;
  private final Map<AlarmKind, Long> openByKind = new ConcurrentHashMap<>();
  private final java.util.concurrent.atomic.AtomicInteger judged = new java.util.concurrent.atomic.AtomicInteger();
  /** Failed association set-ups in a row per meter. */
  private final Map<String, Failures> associationFailures = new ConcurrentHashMap<>();
  /** Path changes per meter, newest last, within the storm window. */
  private final Map<String, PathChanges> pathChanges = new ConcurrentHashMap<>();
  private final Map<Key, Pending> pendingEvents = new ConcurrentHashMap<>();
  /** When a meter was first seen without a reading (a meter never read is late from then on). */
  private final Map<String, Instant> firstSeen = new HashMap<>(); // evaluation thread only
  /** Since when the rules are applied to a meter here (scale-out: it may have come from another instance). */
  private final Map<String, Instant> watchedSince = new HashMap<>(); // evaluation thread only
  /** The first check: meters seen then were polled here from the start (no alarm of theirs came from elsewhere). */
  private Instant started;
  private ScheduledExecutorService thread;
  /** The writes of the check in progress (evaluation only, under this). */
  private final List<AlarmStore.Write> writes = new java.util.ArrayList<>();
  private int logged;
  private static final int MAX_LOGGED = 20;

  private record Key(AlarmKind kind, String subject) {}

  private record Pending(String meterId, long count, String detail) {}

  private record Failures(int count, String lastReason) {}

  private static final class PathChanges {
    String lastPath;
    final Deque<Instant> at = new ArrayDeque<>();
  }

  public Alarms(Database db, AlarmRules rules, Supplier<List<MeterStatus>> fleet, MeterRegistry metrics,
      Clock clock) {
    this(db, rules, fleet, () -> {
      Set<String> ids = new HashSet<>();
      fleet.get().forEach(m -> ids.add(m.spec().id()));
      return ids;
    }, metrics, clock);
  }

  /**
   * Scale-out: the rules are applied to the meters this instance polls ({@code held}) only, each meter by one
   * instance; the alarms of {@code registered} meters another instance polls are left to it (neither cleared
   * nor raised again here), and an open alarm follows its meter to the next holder, which finds it in the table.
   */
  public Alarms(Database db, AlarmRules rules, Supplier<List<MeterStatus>> held, Supplier<Set<String>> registered,
      MeterRegistry metrics, Clock clock) {
    this.store = new AlarmStore(db);
    this.rules = rules;
    this.fleet = held;
    this.registered = registered;
    this.clock = clock;
    openByKind.putAll(store.openByKind());
    Gauge.builder("headend.alarms.meters", judged, java.util.concurrent.atomic.AtomicInteger::get)
        .description("meters whose alarm rules this instance applied at its last check (the meters it polls)")
        .register(metrics);
    for (AlarmKind k : AlarmKind.values()) {
      Gauge.builder("headend.alarms.open", openByKind, m -> m.getOrDefault(k, 0L))
          .description("alarms not acknowledged yet").tag("kind", k.apiName()).register(metrics);
    }
  }

  /** Evaluates the rules every check interval from now on. */
  public void start() {
    thread = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "alarms");
      t.setDaemon(true);
      return t;
    });
    long every = rules.checkInterval().toMillis();
    thread.scheduleWithFixedDelay(() -> {
      try {
        evaluate();
      } catch (RuntimeException e) {
        log.warn("alarm check failed: {}", e.toString());
      }
    }, every, every, TimeUnit.MILLISECONDS);
  }

  @Override
  public void close() {
    if (thread != null) {
      // no interrupt: an interrupted H2 write closes the database file under everyone else
      thread.shutdown();
      try {
        if (!thread.awaitTermination(10, TimeUnit.SECONDS)) {
          log.warn("the alarm check did not finish within 10 s");
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  /** What the meter sessions report. */
  public SessionEvents sessionEvents() {
    return new SessionEvents() {
      @Override
      public void associationFailed(String meterId, String reason) {
        associationFailures.merge(meterId, new Failures(1, reason),
            (old, one) -> new Failures(old.count() + 1, reason));
      }

      @Override
      public void associated(String meterId) {
        associationFailures.remove(meterId);
      }

      @Override
      public void commandRefused(String meterId, String command, String reason) {
        event(AlarmKind.COMMAND_REFUSED, meterId, meterId, command + ": " + reason);
      }
    };
  }

  /** A stored reading: a path different from the meter's previous one is a failover. */
  public void readingStored(Reading r) {
    if (r.path() == null) {
      return;
    }
    String path = r.path().notation();
    PathChanges changes = pathChanges.computeIfAbsent(r.meterId(), id -> new PathChanges());
    synchronized (changes) {
      if (changes.lastPath != null && !changes.lastPath.equals(path)) {
        changes.at.addLast(r.readAt());
      }
      changes.lastPath = path;
      prune(changes, clock.instant());
    }
  }

  /**
   * A refused push notification from {@code from} (the peer's id as the transport gives it; port and connection
   * number are left out, so one source host is one alarm).
   */
  public void pushRefused(String reason, String from, String detail) {
    // tcp:127.0.0.1:50312#3 -> tcp:127.0.0.1, scion:1-ff00:0:111,[127.0.111.1]:31000 -> scion:1-ff00:0:111,[127.0.111.1]
    String host = from == null ? "unknown" : from.replaceFirst("#\\d+$", "").replaceFirst(":\\d+$", "");
    event(AlarmKind.PUSH_REFUSED, "push from " + host, null, reason + (detail == null ? "" : ": " + detail));
  }

  private void event(AlarmKind kind, String subject, String meterId, String detail) {
    Key key = new Key(kind, subject);
    if (pendingEvents.size() >= MAX_PENDING && !pendingEvents.containsKey(key)) {
      key = new Key(kind, kind == AlarmKind.PUSH_REFUSED ? "push from other sources" : "other meters");
      meterId = null;
    }
    String m = meterId;
    pendingEvents.merge(key, new Pending(m, 1, detail), (a, b) -> new Pending(a.meterId(), a.count() + 1, detail));
  }

  /** Newest first; {@code state} {@code open}, {@code acknowledged} or null (any). */
  public List<Alarm> list(String state, int limit) {
    if (state != null && !Alarm.OPEN.equals(state) && !Alarm.ACKNOWLEDGED.equals(state)) {
      throw new IllegalArgumentException("state: open or acknowledged, got " + state);
    }
    return store.list(state, limit);
  }

  /**
   * Acknowledges an open alarm (the caller audits it).
   *
   * @throws java.util.NoSuchElementException no such alarm
   * @throws IllegalStateException acknowledged already
   */
  public synchronized Alarm acknowledge(long id, String actor) {
    Alarm a = store.acknowledge(id, actor, clock.instant());
    openByKind.putAll(store.openByKind());
    return a;
  }

  /** Applies the rules now: raises, repeats and clears alarms (written in one transaction). */
  public synchronized void evaluate() {
    Instant now = clock.instant();
    if (started == null) {
      started = now;
    }
    writes.clear();
    logged = 0;
    Map<Key, Alarm> current = new HashMap<>();
    for (Alarm a : store.allCurrent()) {
      current.put(new Key(AlarmKind.parse(a.kind()), a.subject()), a);
    }
    Set<Key> holding = new HashSet<>();
    Set<String> inFleet = new HashSet<>();
    Set<String> everywhere = registered.get();
    for (MeterStatus m : fleet.get()) {
      String id = m.spec().id();
      inFleet.add(id);
      notRead(m, now, current, holding);
      Failures f = associationFailures.get(id);
      if (f != null && f.count() >= rules.associationFailures()) {
        raise(current, holding, AlarmKind.ASSOCIATION_FAILURES, id, id, now,
            f.count() + " association set-ups failed in a row, the last: " + f.lastReason());
      } else if (f == null && m.connected()) {
        clear(current, AlarmKind.ASSOCIATION_FAILURES, id, now);
      } else {
        keep(current, holding, AlarmKind.ASSOCIATION_FAILURES, id);
      }
      PathChanges changes = pathChanges.get(id);
      int n = 0;
      if (changes != null) {
        synchronized (changes) {
          prune(changes, now);
          n = changes.at.size();
        }
      }
      Instant watched = watchedSince.computeIfAbsent(id, x -> now);
      if (n > rules.failoverStormCount()) {
        raise(current, holding, AlarmKind.FAILOVER_STORM, id, id, now, n + " path changes in the last "
            + rules.failoverStormWindow().toMinutes() + " min (more than " + rules.failoverStormCount() + ")");
      } else if (Duration.between(watched, now).compareTo(rules.failoverStormWindow()) < 0
          && !watched.equals(started)) {
        // polled here for less than the window (it moved here from another instance): too soon to say it is over
        keep(current, holding, AlarmKind.FAILOVER_STORM, id);
      } else {
        clear(current, AlarmKind.FAILOVER_STORM, id, now);
      }
    }
    judged.set(inFleet.size());
    firstSeen.keySet().retainAll(inFleet);
    watchedSince.keySet().retainAll(inFleet);
    associationFailures.keySet().retainAll(inFleet);
    pathChanges.keySet().retainAll(inFleet);
    // conditions of meters no longer in the fleet are over (those another instance polls are its to judge)
    for (Map.Entry<Key, Alarm> e : current.entrySet()) {
      if (e.getKey().kind().condition() && e.getValue().active() && !holding.contains(e.getKey())
          && (e.getValue().meterId() == null
              || !inFleet.contains(e.getValue().meterId()) && !everywhere.contains(e.getValue().meterId()))) {
        writes.add(new AlarmStore.Clear(e.getValue().id(), now));
      }
    }
    for (Key key : List.copyOf(pendingEvents.keySet())) {
      Pending p = pendingEvents.remove(key);
      if (p == null) {
        continue;
      }
      Alarm a = current.get(key);
      if (a != null && a.acknowledgedAt() == null) {
        writes.add(new AlarmStore.Again(a.id(), now, p.count(), p.detail()));
      } else {
        writes.add(new AlarmStore.Insert(key.kind(), key.subject(), p.meterId(), now, p.count(), p.detail()));
        logRaised(key.kind(), key.subject(), p.detail());
      }
    }
    store.write(writes);
    if (logged > MAX_LOGGED) {
      log.warn("... and {} more alarms raised (GET /api/alarms lists them)", logged - MAX_LOGGED);
    }
    writes.clear();
    openByKind.putAll(store.openByKind());
  }

  private void notRead(MeterStatus m, Instant now, Map<Key, Alarm> current, Set<Key> holding) {
    String id = m.spec().id();
    int poll = m.spec().pollSeconds();
    if (poll <= 0) {
      clear(current, AlarmKind.NOT_READ, id, now);
      return;
    }
    Instant since = m.lastReadingAt();
    boolean readHere = since != null;
    if (since == null) {
      since = firstSeen.computeIfAbsent(id, x -> now);
    } else {
      firstSeen.remove(id);
    }
    Duration limit = Duration.ofSeconds((long) rules.notReadIntervals() * poll).plus(NOT_READ_SLACK);
    Duration unread = Duration.between(since, now);
    if (unread.compareTo(limit) > 0) {
      raise(current, holding, AlarmKind.NOT_READ, id, id, now, "not read for " + unread.toSeconds() + " s (more than "
          + rules.notReadIntervals() + " poll intervals of " + poll + " s and " + NOT_READ_SLACK.toSeconds() + " s)"
          + (m.lastError() == null ? "" : "; last error: " + m.lastError()));
    } else if (readHere) {
      clear(current, AlarmKind.NOT_READ, id, now);
    } else {
      // not read yet by this instance (it just took the meter over, or just started): an open alarm stays open
      keep(current, holding, AlarmKind.NOT_READ, id);
    }
  }

  /** The condition holds: a new alarm, or the open one again (a write only when it was not active). */
  private void raise(Map<Key, Alarm> current, Set<Key> holding, AlarmKind kind, String subject, String meterId,
      Instant now, String detail) {
    Key key = new Key(kind, subject);
    holding.add(key);
    Alarm a = current.get(key);
    if (a == null) {
      writes.add(new AlarmStore.Insert(kind, subject, meterId, now, 1, detail));
      logRaised(kind, subject, detail);
    } else if (!a.active()) {
      writes.add(new AlarmStore.Again(a.id(), now, 1, detail));
      logRaised(kind, subject, "again: " + detail);
    }
  }

  private static void keep(Map<Key, Alarm> current, Set<Key> holding, AlarmKind kind, String subject) {
    Key key = new Key(kind, subject);
    if (current.containsKey(key)) {
      holding.add(key);
    }
  }

  private void clear(Map<Key, Alarm> current, AlarmKind kind, String subject, Instant now) {
    Alarm a = current.get(new Key(kind, subject));
    if (a != null && a.active()) {
      writes.add(new AlarmStore.Clear(a.id(), now));
      log.debug("alarm {} ({} {}) cleared", a.id(), kind.apiName(), subject);
    }
  }

  /** At most {@link #MAX_LOGGED} lines a check: a fleet-wide outage must not flood the log. */
  private void logRaised(AlarmKind kind, String subject, String detail) {
    if (++logged <= MAX_LOGGED) {
      log.warn("alarm ({} {}): {}", kind.apiName(), subject, detail);
    }
  }

  private void prune(PathChanges changes, Instant now) {
    Instant oldest = now.minus(rules.failoverStormWindow());
    while (!changes.at.isEmpty() && changes.at.peekFirst().isBefore(oldest)) {
      changes.at.removeFirst();
    }
  }

  /** Open alarms by kind, as the gauge shows them. */
  Map<AlarmKind, Long> openByKind() {
    return new EnumMap<>(openByKind);
  }
}
