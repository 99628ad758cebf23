package org.s3mp.headend.polling;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.s3mp.dlms.client.Session;
import org.s3mp.headend.commands.AuditLog;
import org.s3mp.headend.fleet.MeterSpec;
import org.s3mp.headend.fleet.NetworkPath;
import org.s3mp.headend.fleet.ProfileEntry;
import org.s3mp.headend.fleet.Reading;
import org.s3mp.headend.storage.ProfileStore;
import org.s3mp.headend.storage.ReadingStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Everything the head-end does with one meter, one task at a time and in order on its {@link SessionExecutor}
 * (the poller's shared workers, no thread of its own): periodic polls, 1 s continuous reading, load-profile
 * collection and commands, run in the meter's DLMS {@link Session} (which keeps one association open and owns the
 * retries); this class only schedules them and records their outcome. A slow or dead meter only ever holds up its
 * own tasks (and one worker).
 */
final class MeterSession {

  private static final Logger log = LoggerFactory.getLogger(MeterSession.class);

  /** A meter operation on an open association. */
  interface Operation<T> {
    T apply(MeterConnection c) throws Exception;
  }

  private final MeterSpec spec;
  private final MeterConnector connector;
  private final ReadingStore readings;
  private final ProfileStore profiles;
  private final PollingSettings settings;
  private final ClockSettings clockSettings;
  private final MeterClock clock;
  private final MeterRegistry metrics;
  private Gauge driftGauge;
  /** Runs this meter's tasks one after the other, as a thread of its own would. */
  private final SessionExecutor tasks;
  private final Timer readTimer;
  private final Counter readFailures;
  private final AssociationSlots associationSlots;
  /** A slot to open an association, taken before the task that needs it got a worker (see {@link #gate}). */
  private volatile boolean holdsSlot;
  private final SessionEvents events;

  /** The association kept open and the retries (only run in `tasks`; closed by {@link #closeConnection} too). */
  private final Session<MeterConnection> dlms;
  private SessionExecutor.Periodic continuousTask; // guarded by this
  private volatile boolean connected;
  private volatile String relay;
  private volatile Instant lastReadingAt;
  private volatile String lastError;
  private volatile NetworkPath path;
  /** Why the association was re-opened since the last reading (only touched in `tasks`), for its path change. */
  private String reopenedAfter;

  MeterSession(MeterSpec spec, MeterConnector connector, ReadingStore readings, ProfileStore profiles,
      PollingSettings settings, ClockSettings clockSettings, AuditLog audit, MeterRegistry metrics,
      AssociationSlots associationSlots, SessionEvents events, java.util.concurrent.ScheduledExecutorService timer,
      java.util.concurrent.Executor workers) {
    this.spec = spec;
    this.events = events;
    this.clockSettings = clockSettings;
    this.clock = new MeterClock(spec.id(), clockSettings, audit);
    this.metrics = metrics;
    this.associationSlots = associationSlots;
    this.connector = connector;
    this.readings = readings;
    this.profiles = profiles;
    this.settings = settings;
    this.dlms = new Session<>(this::associate, settings.retry(), new AssociationEvents());
    this.tasks = new SessionExecutor(timer, workers, new SessionExecutor.Gate() {
      @Override
      public void beforeNext(Runnable proceed) {
        if (dlms.associated()) {
          proceed.run();
        } else {
          // in line for a slot without a worker: meters already associated are read meanwhile
          associationSlots.acquireLater(() -> {
            holdsSlot = true;
            proceed.run();
          });
        }
      }

      @Override
      public void afterTurn() {
        if (holdsSlot) { // the task did not open an association after all
          holdsSlot = false;
          associationSlots.release();
        }
      }
    });
    this.readTimer = Timer.builder("headend.read.latency")
        .description("time of one meter read (registers and relay state)")
        .publishPercentiles(0.5, 0.99)
        .publishPercentileHistogram(false)
        .register(metrics);
    this.readFailures = Counter.builder("headend.read.failures").register(metrics);
  }

  MeterSpec spec() {
    return spec;
  }

  void start(boolean continuous) {
    // random phases: meters started together must not all be read in the same instant (a burst of 1,000 reads
    // every period made the p50 latency 0.8 s instead of milliseconds)
    if (spec.pollSeconds() > 0) {
      long period = spec.pollSeconds() * 1000L;
      tasks.scheduleAtFixedRate(() -> background("poll"), jitter(period), period, TimeUnit.MILLISECONDS);
    }
    if (spec.profile()) {
      long period = settings.profileInterval().toMillis();
      tasks.scheduleWithFixedDelay(this::collectProfileQuietly, jitter(Math.min(period, 5000)), period,
          TimeUnit.MILLISECONDS);
    }
    long clockPeriod = clockSettings.checkInterval().toMillis();
    tasks.scheduleWithFixedDelay(this::checkClockQuietly, jitter(clockPeriod), clockPeriod, TimeUnit.MILLISECONDS);
    // registered here, not in the constructor: a replaced session's gauge is removed before (same name and tags)
    driftGauge = Gauge.builder("headend.meter.clock.drift", clock, c -> {
          Double d = c.driftSeconds();
          return d == null ? Double.NaN : d;
        })
        .description("meter clock minus head-end clock at the last clock check")
        .baseUnit("seconds").tag("meter", spec.id()).register(metrics);
    setContinuous(continuous);
  }

  private static long jitter(long boundMillis) {
    return ThreadLocalRandom.current().nextLong(Math.max(1, boundMillis));
  }

  synchronized void setContinuous(boolean enabled) {
    if (enabled && continuousTask == null) {
      continuousTask = tasks.scheduleAtFixedRate(() -> background("continuous"), jitter(1000), 1000,
          TimeUnit.MILLISECONDS);
    } else if (!enabled && continuousTask != null) {
      continuousTask.cancel();
      continuousTask = null;
    }
  }

  synchronized boolean continuous() {
    return continuousTask != null;
  }

  /** Reads now; completes once the reading is stored. */
  CompletableFuture<Reading> readOnce() {
    return CompletableFuture.supplyAsync(() -> readAndStore("once"), tasks).thenCompose(r -> r);
  }

  /**
   * Runs a command in the meter's session, then reads the meter's new state; completes once that reading is stored
   * (so that the readings an API client asks for next include it).
   */
  <T> CompletableFuture<T> command(Operation<T> op) {
    return CompletableFuture.supplyAsync(() -> {
      T result = withConnection(op);
      try {
        readAndStore("command").join();
      } catch (RuntimeException e) {
        log.debug("meter {}: read after command failed: {}", spec.id(), e.toString());
      }
      return result;
    }, tasks);
  }

  /** Runs an operation in the meter's session (no reading afterwards). */
  <T> CompletableFuture<T> call(Operation<T> op) {
    return CompletableFuture.supplyAsync(() -> withConnection(op), tasks);
  }

  MeterStatus status() {
    String transport = org.s3mp.dlms.transport.MeterUrl.parse(spec.url()).scheme();
    return new MeterStatus(spec, transport, connected, continuous(), relay, lastReadingAt, lastError, path,
        clock.driftSeconds(), clock.checkedAt());
  }

  /** The relay state a meter pushed with an event: the status shows it at once, before the next read. */
  void relayPushed(String state) {
    relay = state;
  }

  /** Reads the meter's clock now (and records the drift; never sets it). */
  CompletableFuture<ClockReading> readClock() {
    return CompletableFuture.supplyAsync(() -> withConnection(clock::read), tasks);
  }

  /** Sets the meter's clock to the head-end's time, then reads it back. */
  CompletableFuture<ClockSet> setClock() {
    return CompletableFuture.supplyAsync(() -> withConnection(clock::set), tasks);
  }

  void close() {
    if (driftGauge != null) {
      metrics.remove(driftGauge);
    }
    stopPolling();
    awaitStopped(System.nanoTime() + TimeUnit.SECONDS.toNanos(5));
  }

  /** Schedules nothing more; the operation in progress goes on, so that a reading taken is still stored. */
  void stopPolling() {
    tasks.shutdown();
  }

  /** Whether the operation in progress (and those given before {@link #stopPolling()}) finished in time. */
  boolean awaitIdle(long deadlineNanos) throws InterruptedException {
    return tasks.awaitTermination(Math.max(0, deadlineNanos - System.nanoTime()), TimeUnit.NANOSECONDS);
  }

  /** Drops the operations not started and interrupts the one in progress. */
  void interrupt() {
    tasks.shutdownNow();
  }

  /**
   * Waits until the operation in progress has finished (its reading queued for storage) or the deadline
   * ({@link System#nanoTime()}) passed, then interrupts it and closes the association.
   */
  void awaitStopped(long deadlineNanos) {
    try {
      if (!awaitIdle(deadlineNanos)) {
        tasks.shutdownNow();
        if (!tasks.awaitTermination(5, TimeUnit.SECONDS)) {
          log.warn("meter {}: its operation did not stop within 5 s", spec.id());
        }
      }
    } catch (InterruptedException e) {
      tasks.shutdownNow();
      Thread.currentThread().interrupt();
    }
    closeConnection();
  }

  // --- run in `tasks` ---

  private void background(String kind) {
    if ("poll".equals(kind) && continuous()) {
      return; // continuous reading already covers it
    }
    try {
      readAndStore(kind);
    } catch (RuntimeException e) {
      log.debug("meter {}: {} read failed: {}", spec.id(), kind, e.getMessage());
    }
  }

  private CompletableFuture<Reading> readAndStore(String kind) {
    long start = System.nanoTime();
    MeterSnapshot snapshot;
    try {
      snapshot = withConnection(MeterConnection::read);
    } catch (RuntimeException e) {
      readFailures.increment();
      throw e;
    }
    long nanos = System.nanoTime() - start;
    readTimer.record(nanos, TimeUnit.NANOSECONDS);
    Instant at = Instant.now();
    relay = snapshot.relay();
    NetworkPath before = path;
    if (before != null && snapshot.path() != null && !before.notation().equals(snapshot.path().notation())) {
      recordPathChange(at, snapshot.pathChange() != null ? snapshot.pathChange()
          : reopenedAfter != null ? "new association after: " + reopenedAfter : "policy");
    }
    reopenedAfter = null;
    path = snapshot.path();
    lastReadingAt = at;
    Reading reading = new Reading(spec.id(), at, kind, snapshot.relay(), nanos / 1e6, snapshot.path(),
        List.copyOf(snapshot.registers()));
    return readings.append(reading);
  }

  /** Stored beside the reading (the path history shows it as the failover's reason); never fails the read. */
  private void recordPathChange(Instant at, String reason) {
    try {
      readings.paths().recordChange(spec.id(), at, reason);
    } catch (RuntimeException e) {
      log.warn("meter {}: path change reason not stored: {}", spec.id(), e.getMessage());
    }
  }

  private void collectProfileQuietly() {
    try {
      collectProfile();
    } catch (RuntimeException e) {
      log.debug("meter {}: profile collection failed: {}", spec.id(), e.getMessage());
    }
  }

  CompletableFuture<Integer> collectProfileNow() {
    return CompletableFuture.supplyAsync(this::collectProfile, tasks);
  }

  /** Fetches every interval after the newest stored one: after any outage this backfills the gap. */
  private int collectProfile() {
    Instant now = Instant.now();
    Instant from = profiles.newest(spec.id())
        .map(t -> t.plusSeconds(1))
        .orElse(now.minus(settings.profileBackfill()));
    if (!from.isBefore(now)) {
      return 0;
    }
    List<ProfileEntry> entries = withConnection(c -> c.readProfile(from, now));
    int added = profiles.store(spec.id(), entries);
    log.debug("meter {}: profile {}..{}: {} intervals, {} new values", spec.id(), from, now, entries.size(), added);
    return added;
  }

  /** The periodic clock check; one that ran on a new association moments ago counts. */
  private void checkClockQuietly() {
    try {
      withConnection(c -> {
        if (!clock.readWithin(clockSettings.checkInterval().dividedBy(2))) {
          clock.check(c);
        }
        return null;
      });
    } catch (RuntimeException e) {
      log.debug("meter {}: clock check failed: {}", spec.id(), e.getMessage());
    }
  }

  /**
   * The clock check of a new association. Its failure does not fail the operation that opened the association:
   * a meter that refuses the clock can still be read, and a broken association fails that operation anyway.
   */
  private void checkClockOnOpen(MeterConnection c) {
    try {
      clock.check(c);
    } catch (Exception e) {
      log.warn("meter {}: clock check failed: {}", spec.id(), e.getMessage());
    }
  }

  /**
   * Runs the operation in the DLMS session, which owns the retries (a new association after a failure, per the
   * retry policy); here only what the head-end records of it.
   */
  private <T> T withConnection(Operation<T> op) {
    try {
      T result = dlms.run(op::apply);
      lastError = null;
      return result;
    } catch (IllegalArgumentException e) {
      // the meter refused what we asked (bad input), the association is fine
      lastError = e.getMessage();
      throw e;
    } catch (Exception e) {
      if (e instanceof InterruptedException) {
        Thread.currentThread().interrupt();
      }
      throw new MeterUnavailableException("meter " + spec.id() + " (" + spec.url() + "): " + lastError, e);
    }
  }

  /**
   * Opens an association holding a slot: few associations are set up at once (1,000 meters opening together at
   * start or restart made every handshake time out and retry, and the head-end never got all of them up). The slot
   * was usually taken before this task got its worker (see the gate); a second open within the task (after a
   * failure) waits here.
   */
  private MeterConnection associate() throws java.io.IOException, InterruptedException {
    if (holdsSlot) {
      holdsSlot = false;
    } else {
      associationSlots.acquire();
    }
    try {
      return connector.open(spec, settings.retry().responseTimeout());
    } finally {
      associationSlots.release();
    }
  }

  /** What the head-end records of the DLMS session's associations (on the session's thread, in `tasks`). */
  private final class AssociationEvents implements Session.Listener<MeterConnection> {
    @Override
    public void opened(MeterConnection c) {
      connected = true;
      events.associated(spec.id());
      checkClockOnOpen(c);
    }

    @Override
    public void openFailed(String reason) {
      events.associationFailed(spec.id(), reason);
    }

    @Override
    public void dropped(String reason) {
      connected = false;
      lastError = reason;
      reopenedAfter = reason;
    }
  }

  void closeConnection() {
    connected = false;
    dlms.close();
  }
}
