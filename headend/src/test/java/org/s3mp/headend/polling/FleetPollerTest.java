package org.s3mp.headend.polling;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.math.BigDecimal;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.s3mp.headend.FakeMeters;
import org.s3mp.headend.commands.AuditLog;
import org.s3mp.headend.fleet.FleetRegistry;
import org.s3mp.headend.fleet.MeterSpec;
import org.s3mp.headend.fleet.ProfileEntry;
import org.s3mp.headend.fleet.Reading;
import org.s3mp.headend.fleet.RegisterValue;
import org.s3mp.headend.storage.Database;
import org.s3mp.headend.storage.ProfileStore;
import org.s3mp.headend.storage.ReadingStore;
import org.s3mp.headend.storage.SlowStorage;

class FleetPollerTest {

  @TempDir Path dir;
  Database db;
  ReadingStore readings;
  ProfileStore profiles;
  FleetRegistry registry;
  FakeMeters meters = new FakeMeters();
  FleetPoller poller;

  @BeforeEach
  void open() {
    db = Database.open(dir.resolve("db").toString(), null, null);
    readings = new ReadingStore(db);
    profiles = new ProfileStore(db);
    registry = new FleetRegistry(db);
    poller = new FleetPoller(meters, readings, profiles, registry,
        new PollingSettings(org.s3mp.dlms.client.RetryPolicy.DEFAULT, Duration.ofHours(1), Duration.ofDays(2)), ClockSettings.defaults(), new AuditLog(db),
        new SimpleMeterRegistry());
  }

  @AfterEach
  void close() {
    poller.close();
    readings.close();
    db.close();
  }

  private void add(String id, boolean profile) {
    MeterSpec spec = new MeterSpec(id, "tcp://127.0.0.1:1", "k", null, false, 0, profile);
    registry.add(spec);
    poller.add(spec);
  }

  @Test
  void aPushedRelayEventUpdatesTheMetersRelayStateAtOnce() throws Exception {
    add("m1", false);
    poller.readOnce("m1").get(10, TimeUnit.SECONDS);
    assertThat(poller.status("m1").orElseThrow().relay()).isEqualTo("connected");
    poller.relayPushed("m1", false);
    assertThat(poller.status("m1").orElseThrow().relay()).isEqualTo("disconnected");
    assertThat(poller.status("m1").orElseThrow().state(Instant.now())).isEqualTo(MeterStatus.State.DISCONNECTED);
    poller.relayPushed("m1", null); // an event without relay state changes nothing
    assertThat(poller.status("m1").orElseThrow().relay()).isEqualTo("disconnected");
    poller.relayPushed("m1", true);
    assertThat(poller.status("m1").orElseThrow().relay()).isEqualTo("connected");
    poller.relayPushed("gone", true); // a meter removed since it pushed
  }

  @Test
  void failedAssociationsAndRefusedCommandsAreReportedToTheEvents() throws Exception {
    List<String> heard = new java.util.concurrent.CopyOnWriteArrayList<>();
    poller.setEvents(new SessionEvents() {
      @Override
      public void associationFailed(String meterId, String reason) {
        heard.add("failed " + meterId);
      }

      @Override
      public void associated(String meterId) {
        heard.add("associated " + meterId);
      }

      @Override
      public void commandRefused(String meterId, String command, String reason) {
        heard.add("refused " + meterId + " " + command + ": " + reason);
      }
    });
    add("m1", false);
    meters.meter("m1").reachable = false;
    assertThatThrownBy(() -> poller.disconnect("m1").get(10, TimeUnit.SECONDS))
        .isInstanceOf(ExecutionException.class).hasCauseInstanceOf(MeterUnavailableException.class);
    assertThat(heard).contains("failed m1");
    assertThat(heard).anySatisfy(h -> assertThat(h).startsWith("refused m1 disconnect: meter m1"));
    heard.clear();
    meters.meter("m1").reachable = true;
    assertThat(poller.showMessage("m1", "hi").get(10, TimeUnit.SECONDS)).isEqualTo("hi");
    assertThat(heard).containsExactly("associated m1");
  }

  @Test
  void aFailedAssociationIsReopenedOnTheNextOperation() throws Exception {
    add("m1", false);
    poller.readOnce("m1").get(10, TimeUnit.SECONDS);
    assertThat(meters.meter("m1").opens.get()).isEqualTo(1);
    poller.readOnce("m1").get(10, TimeUnit.SECONDS);
    assertThat(meters.meter("m1").opens.get()).as("the association is kept open").isEqualTo(1);

    meters.meter("m1").reachable = false;
    assertThatThrownBy(() -> poller.readOnce("m1").get(10, TimeUnit.SECONDS))
        .isInstanceOf(ExecutionException.class).hasCauseInstanceOf(MeterUnavailableException.class);
    assertThat(poller.status("m1").orElseThrow().connected()).isFalse();

    meters.meter("m1").reachable = true;
    Reading r = poller.readOnce("m1").get(10, TimeUnit.SECONDS);
    assertThat(r.values()).isNotEmpty();
    assertThat(meters.meter("m1").opens.get()).isEqualTo(2);
    assertThat(poller.status("m1").orElseThrow().connected()).isTrue();
  }

  /** Records the association events of the poller's sessions. */
  private List<String> heardEvents() {
    List<String> heard = new java.util.concurrent.CopyOnWriteArrayList<>();
    poller.setEvents(new SessionEvents() {
      @Override
      public void associationFailed(String meterId, String reason) {
        heard.add("failed " + meterId + ": " + reason);
      }

      @Override
      public void associated(String meterId) {
        heard.add("associated " + meterId);
      }
    });
    return heard;
  }

  @Test
  void aReadThatBreaksTheAssociationIsAnsweredOnANewOneWhoseReasonTheReadingsPathChangeKeeps() throws Exception {
    List<String> heard = heardEvents();
    add("m1", false);
    FakeMeters.Fake fake = meters.meter("m1");
    fake.path = via("1-ff00:0:110");
    poller.readOnce("m1").get(10, TimeUnit.SECONDS);
    fake.path = via("1-ff00:0:120"); // the new association took another path
    fake.breakReads.set(1);
    Reading r = poller.readOnce("m1").get(10, TimeUnit.SECONDS);
    assertThat(r.values()).isNotEmpty();
    assertThat(fake.opens).as("the DLMS session associated again for the retry").hasValue(2);
    assertThat(heard).containsExactly("associated m1", "associated m1");
    assertThat(poller.status("m1").orElseThrow().connected()).isTrue();
    assertThat(readings.paths().history("m1", Instant.EPOCH, Instant.now().plusSeconds(1)).changes())
        .singleElement().satisfies(c -> assertThat(c.reason())
            .isEqualTo("new association after: fake meter m1: association broken"));
  }

  private static org.s3mp.headend.fleet.NetworkPath via(String core) {
    return new org.s3mp.headend.fleet.NetworkPath(List.of(
        new org.s3mp.headend.fleet.NetworkPath.Hop("1-ff00:0:112", 1, null, 1L, "CH", null, null),
        new org.s3mp.headend.fleet.NetworkPath.Hop(core, 1, 1L, 2L, "CH", null, null),
        new org.s3mp.headend.fleet.NetworkPath.Hop("1-ff00:0:111", 1, 2L, null, "CH", null, null)), null);
  }

  @Test
  void theSessionTriesAsOftenAsTheDlmsRetryPolicySaysAndNoMore() throws Exception {
    for (int reassociations : new int[] {0, 2}) {
      poller.close();
      Duration timeout = Duration.ofMillis(1000 + reassociations);
      poller = new FleetPoller(meters, readings, profiles, registry, new PollingSettings(
          new org.s3mp.dlms.client.RetryPolicy(reassociations, timeout, Duration.ZERO),
          Duration.ofHours(1), Duration.ofDays(2)), ClockSettings.defaults(), new AuditLog(db), new SimpleMeterRegistry());
      List<String> heard = heardEvents();
      String id = "down" + reassociations;
      add(id, false);
      meters.meter(id).reachable = false;
      assertThatThrownBy(() -> poller.readOnce(id).get(10, TimeUnit.SECONDS))
          .isInstanceOf(ExecutionException.class).hasCauseInstanceOf(MeterUnavailableException.class)
          .hasMessageContaining("fake meter " + id + " is down");
      // one read: the head-end's session runs it once, the DLMS session associates 1 + reassociations times
      assertThat(heard).as("with %d re-associations", reassociations).hasSize(1 + reassociations)
          .allSatisfy(h -> assertThat(h).startsWith("failed " + id + ": connection refused"));
      assertThat(meters.meter(id).responseTimeout).as("the policy's response timeout, given to the connector")
          .isEqualTo(timeout);
    }
  }

  @Test
  void aHangingMeterDoesNotHoldUpTheOthers() throws Exception {
    add("slow", false);
    add("fast", false);
    CountDownLatch release = new CountDownLatch(1);
    meters.meter("slow").blockReads = release;
    try {
      CompletableFuture<Reading> slow = poller.readOnce("slow");
      for (int i = 0; i < 3; i++) {
        assertThat(poller.readOnce("fast").get(10, TimeUnit.SECONDS).meterId()).isEqualTo("fast");
      }
      assertThat(slow).isNotDone();
    } finally {
      release.countDown();
    }
  }

  @Test
  void fiveHundredMetersTakeNoThreadEachEvenWhenAllHang() throws Exception {
    poller.close();
    SimpleMeterRegistry metrics = new SimpleMeterRegistry();
    // no periodic clock check within the test (one of 500 in 15 min falls within a second about every other run)
    poller = new FleetPoller(meters, readings, profiles, registry, PollingSettings.defaults(),
        new ClockSettings(Duration.ofDays(3650), Duration.ofSeconds(10), true), new AuditLog(db), metrics);
    long before = meterThreads(); // of pollers other tests left open
    int n = 500;
    for (int i = 0; i < n; i++) {
      add("m" + i, false);
    }
    assertThat(meterThreads() - before).as("idle sessions: the timer only; %s", meterThreadNames())
        .isLessThanOrEqualTo(1);

    CountDownLatch release = new CountDownLatch(1);
    List<CompletableFuture<Reading>> reads = new java.util.ArrayList<>();
    for (int i = 0; i < n; i++) {
      meters.meter("m" + i).blockReads = release;
      reads.add(poller.readOnce("m" + i));
    }
    try {
      // the others wait for a worker (those that hold an association slot already) or for a slot
      org.s3mp.headend.Conditions.await("every worker busy, the other meters waiting", Duration.ofSeconds(30),
          () -> metrics.get("headend.polling.workers.busy").gauge().value() == PollingSettings.DEFAULT_WORKERS
              && metrics.get("headend.polling.workers.waiting").gauge().value()
                  + metrics.get("headend.polling.associations.waiting").gauge().value() == n - PollingSettings.DEFAULT_WORKERS);
      assertThat(meterThreads() - before).as("the workers and the timer")
          .isLessThanOrEqualTo(PollingSettings.DEFAULT_WORKERS + 1);
      assertThat(metrics.get("headend.polling.workers.threads").gauge().value()).isEqualTo(PollingSettings.DEFAULT_WORKERS);
    } finally {
      release.countDown();
    }
    CompletableFuture.allOf(reads.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
    assertThat(reads).allSatisfy(r -> assertThat(r.join().values()).isNotEmpty());
  }

  @Test
  void workersAndAssociationSlotsAreSettings() throws Exception {
    poller.close();
    SimpleMeterRegistry metrics = new SimpleMeterRegistry();
    PollingSettings small = new PollingSettings(org.s3mp.dlms.client.RetryPolicy.DEFAULT, Duration.ofMinutes(15), Duration.ofDays(7), 8, 3);
    poller = new FleetPoller(meters, readings, profiles, registry, small,
        new ClockSettings(Duration.ofDays(3650), Duration.ofSeconds(10), true), new AuditLog(db), metrics);
    int n = 20;
    CountDownLatch answer = new CountDownLatch(1);
    List<CompletableFuture<Reading>> reads = new java.util.ArrayList<>();
    try {
      for (int i = 0; i < n; i++) {
        add("s" + i, false);
        meters.meter("s" + i).blockOpens = answer;
        reads.add(poller.readOnce("s" + i));
      }
      org.s3mp.headend.Conditions.await("3 opening, the others in line for a slot", Duration.ofSeconds(30),
          () -> metrics.get("headend.polling.associations.waiting").gauge().value() == n - 3);
      assertThat(metrics.get("headend.polling.workers.busy").gauge().value()).isEqualTo(3.0);
    } finally {
      answer.countDown();
    }
    CompletableFuture.allOf(reads.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);

    CountDownLatch release = new CountDownLatch(1);
    reads.clear();
    try {
      for (int i = 0; i < n; i++) {
        meters.meter("s" + i).blockReads = release;
        reads.add(poller.readOnce("s" + i));
      }
      org.s3mp.headend.Conditions.await("8 workers busy, the others waiting for one", Duration.ofSeconds(30),
          () -> metrics.get("headend.polling.workers.busy").gauge().value() == 8
              && metrics.get("headend.polling.workers.waiting").gauge().value() == n - 8);
      assertThat(metrics.get("headend.polling.workers.threads").gauge().value()).isEqualTo(8.0);
    } finally {
      release.countDown();
    }
    CompletableFuture.allOf(reads.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
    assertThat(reads).allSatisfy(r -> assertThat(r.join().values()).isNotEmpty());
  }

  @Test
  void metersWaitingToAssociateHoldNoWorkerSoAnAssociatedMeterIsReadMeanwhile() throws Exception {
    poller.close();
    SimpleMeterRegistry metrics = new SimpleMeterRegistry();
    poller = new FleetPoller(meters, readings, profiles, registry, PollingSettings.defaults(), ClockSettings.defaults(),
        new AuditLog(db), metrics);
    add("up", false);
    poller.readOnce("up").get(10, TimeUnit.SECONDS);
    int n = PollingSettings.DEFAULT_WORKERS + 50; // more than the workers: if waiting held one, none would be left for "up"
    CountDownLatch answer = new CountDownLatch(1);
    List<CompletableFuture<Reading>> reads = new java.util.ArrayList<>();
    try {
      for (int i = 0; i < n; i++) {
        add("new" + i, false);
        meters.meter("new" + i).blockOpens = answer;
        reads.add(poller.readOnce("new" + i));
      }
      org.s3mp.headend.Conditions.await("16 opening, the others in line for a slot", Duration.ofSeconds(30),
          () -> metrics.get("headend.polling.associations.waiting").gauge().value() == n - 16);
      assertThat(metrics.get("headend.polling.workers.busy").gauge().value())
          .as("the 16 opening (and at most a clock check of 'up')").isBetween(16.0, 17.0);
      assertThat(poller.readOnce("up").get(10, TimeUnit.SECONDS).meterId()).isEqualTo("up");
    } finally {
      answer.countDown();
    }
    CompletableFuture.allOf(reads.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
    assertThat(metrics.get("headend.polling.associations.waiting").gauge().value()).isZero();
  }

  private static List<String> meterThreadNames() {
    return Thread.getAllStackTraces().keySet().stream().map(Thread::getName).filter(n -> n.startsWith("meter-"))
        .sorted().toList();
  }

  private static long meterThreads() {
    return Thread.getAllStackTraces().keySet().stream()
        .filter(t -> t.isAlive() && t.getName().startsWith("meter-")).count();
  }

  @Test
  void profileCollectionBackfillsGapsWithoutDuplicates() throws Exception {
    add("m1", true);
    Instant t0 = Instant.now().truncatedTo(ChronoUnit.HOURS).minus(Duration.ofHours(10));
    FakeMeters.Fake fake = meters.meter("m1");
    for (int i = 0; i < 4; i++) {
      fake.profile.add(entry(t0.plus(Duration.ofMinutes(15L * i)), 1000 + i));
    }
    Conditions.awaitStored(profiles, "m1", 4);
    // an outage: the meter captured more intervals meanwhile; the next collection fetches only the new ones
    for (int i = 4; i < 10; i++) {
      fake.profile.add(entry(t0.plus(Duration.ofMinutes(15L * i)), 1000 + i));
    }
    assertThat(poller.collectProfile("m1").get(10, TimeUnit.SECONDS)).isEqualTo(6 * 2);
    assertThat(poller.collectProfile("m1").get(10, TimeUnit.SECONDS)).isZero();
    List<ProfileEntry> stored = profiles.between("m1", t0.minusSeconds(1), Instant.now(), 1000);
    assertThat(stored).hasSize(10);
    assertThat(stored.get(9).capturedAt()).isEqualTo(t0.plus(Duration.ofMinutes(135)));
    assertThat(stored.get(9).values()).contains(new RegisterValue("1.0.1.8.0.255", new BigDecimal("1009"), "Wh"));
    // storing the same intervals again changes nothing
    assertThat(profiles.store("m1", fake.profile)).isZero();
  }

  @Test
  void continuousReadingIsRememberedAcrossRestarts() {
    add("m1", false);
    poller.setContinuous("m1", true);
    assertThat(poller.status("m1").orElseThrow().continuous()).isTrue();
    poller.close();
    poller = new FleetPoller(meters, readings, profiles, registry, PollingSettings.defaults(),
        ClockSettings.defaults(), new AuditLog(db), new SimpleMeterRegistry());
    poller.start();
    assertThat(poller.status("m1").orElseThrow().continuous()).isTrue();
    org.s3mp.headend.Conditions.await("continuous readings after the restart", Duration.ofSeconds(10),
        () -> readings.between("m1", Instant.EPOCH, Instant.now().plusSeconds(1), 100).size() >= 2);
  }

  @Test
  void theClockIsCheckedOnANewAssociationAndThenPeriodically() throws Exception {
    poller.close();
    SimpleMeterRegistry metrics = new SimpleMeterRegistry();
    AuditLog audit = new AuditLog(db);
    poller = new FleetPoller(meters, readings, profiles, registry, PollingSettings.defaults(),
        new ClockSettings(Duration.ofSeconds(1), Duration.ofSeconds(10), true), audit, metrics);
    FakeMeters.Fake fake = meters.meter("m1");
    fake.clockOffset = Duration.ofSeconds(90);
    add("m1", false);
    assertThat(poller.status("m1").orElseThrow().clockDriftSeconds()).isNull();
    poller.readOnce("m1").get(10, TimeUnit.SECONDS);
    // the association's open checked and set the clock before the read
    MeterStatus status = poller.status("m1").orElseThrow();
    assertThat(fake.clockSets).hasValue(1);
    assertThat(status.clockDriftSeconds()).isBetween(-1.0, 1.0);
    assertThat(status.clockCheckedAt()).isNotNull();
    assertThat(audit.newest(1).get(0).action()).isEqualTo("clock-set");
    assertThat(metrics.get("headend.meter.clock.drift").tag("meter", "m1").gauge().value()).isBetween(-1.0, 1.0);

    // the meter drifts again: the periodic check notices and sets it
    fake.clockOffset = Duration.ofSeconds(-20);
    org.s3mp.headend.Conditions.await("a second clock set", Duration.ofSeconds(10), () -> fake.clockSets.get() == 2);
    org.s3mp.headend.Conditions.await("the drift read back", Duration.ofSeconds(10),
        () -> Math.abs(poller.status("m1").orElseThrow().clockDriftSeconds()) < 1);
    assertThat(fake.opens).as("on the same association").hasValue(1);

    poller.remove("m1");
    assertThat(metrics.find("headend.meter.clock.drift").tag("meter", "m1").gauge()).isNull();
  }

  @Test
  void aClockReadOnDemandIsRecordedButNeverSets() throws Exception {
    add("m1", false);
    poller.readOnce("m1").get(10, TimeUnit.SECONDS);
    FakeMeters.Fake fake = meters.meter("m1");
    fake.clockOffset = Duration.ofSeconds(500);
    ClockReading r = poller.readClock("m1").get(10, TimeUnit.SECONDS);
    assertThat(r.driftSeconds()).isBetween(499.0, 501.0);
    assertThat(poller.status("m1").orElseThrow().clockDriftSeconds()).isEqualTo(r.driftSeconds());
    assertThat(fake.clockSets).hasValue(0);
    ClockSet set = poller.setClock("m1").get(10, TimeUnit.SECONDS);
    assertThat(set.confirmed()).isTrue();
    assertThat(set.before().driftSeconds()).isBetween(499.0, 501.0);
    assertThat(poller.status("m1").orElseThrow().clockDriftSeconds()).isEqualTo(set.after().driftSeconds());
  }

  @Test
  void pollingWaitsWhileStorageIsBehind() throws Exception {
    int capacity = 4;
    SimpleMeterRegistry metrics = new SimpleMeterRegistry();
    poller.close();
    readings.close();
    SlowStorage.install(db);
    readings = new ReadingStore(db, capacity, metrics);
    poller = new FleetPoller(meters, readings, profiles, registry, PollingSettings.defaults(), ClockSettings.defaults(),
        new AuditLog(db), metrics);
    List<String> ids = List.of("m1", "m2", "m3");
    try {
      for (String id : ids) {
        add(id, false);
        poller.setContinuous(id, true);
      }
      // storage is stuck: the writer holds a batch, the queue fills, then every meter's session waits in
      // append instead of reading on (with an unbounded queue they would read every second and nobody would wait)
      org.s3mp.headend.Conditions.await("all 3 sessions waiting for storage", Duration.ofSeconds(30),
          () -> metrics.get("headend.readings.waiting").gauge().value() == ids.size());
      int reads = ids.stream().mapToInt(id -> meters.meter(id).reads.get()).sum();
      assertThat(reads).as("every reading taken is in flight, queued or waiting: no meter read on")
          .isEqualTo(readings.backlog() + ids.size());
      assertThat(metrics.get("headend.readings.queued").gauge().value()).isEqualTo(capacity);
      assertThat(metrics.get("headend.readings.backpressure").counter().count()).isGreaterThanOrEqualTo(ids.size());
    } finally {
      SlowStorage.open();
    }
    // storage catches up: the waiting readings are stored and polling goes on
    org.s3mp.headend.Conditions.await("polling resumed", Duration.ofSeconds(30),
        () -> metrics.get("headend.readings.stored").counter().count() >= 1 + capacity + ids.size() + 3);
  }

  @Test
  void unknownMetersAreReported() {
    assertThatThrownBy(() -> poller.readOnce("nope")).hasMessage("no meter nope");
  }

  private static ProfileEntry entry(Instant t, long wh) {
    return new ProfileEntry(t, List.of(new RegisterValue("1.0.1.8.0.255", BigDecimal.valueOf(wh), "Wh"),
        new RegisterValue("1.0.2.8.0.255", BigDecimal.ZERO, "Wh")));
  }

  static final class Conditions {
    static void awaitStored(ProfileStore profiles, String meter, int count) {
      org.s3mp.headend.Conditions.await(count + " stored intervals", Duration.ofSeconds(10),
          () -> profiles.between(meter, Instant.EPOCH, Instant.now(), 10_000).size() >= count);
    }
  }

  @Test
  void sharingTheFleetCommandsForAMeterHeldElsewhereGoToItsHolderAndReadsSaySo() throws Exception {
    MeterSpec here = new MeterSpec("m1", "tcp://127.0.0.1:1", "k", null, false, 0, false);
    MeterSpec there = new MeterSpec("m2", "tcp://127.0.0.1:2", "k", null, false, 0, false);
    registry.add(here);
    registry.add(there);
    List<String> handedOver = new java.util.concurrent.CopyOnWriteArrayList<>();
    MeterStatus published = new MeterStatus(there, "tcp", true, false, "connected", Instant.now(), null, null, null,
        null);
    poller.shareWith(new RemoteMeters() {
      @Override
      public CompletableFuture<String> command(String meterId, String action, String argument) {
        handedOver.add(meterId + " " + action + " " + argument);
        return CompletableFuture.completedFuture("message".equals(action) ? argument : "disconnected");
      }

      @Override
      public <T> CompletableFuture<T> call(String meterId, String operation, String argument, Class<T> type) {
        handedOver.add(meterId + " " + operation + " " + argument);
        return CompletableFuture.completedFuture(type.cast(new org.s3mp.headend.fleet.Reading(meterId, Instant.now(),
            "once", "connected", 1, null, List.of())));
      }

      @Override
      public java.util.Map<String, MeterStatus> statuses() {
        return java.util.Map.of("m2", published);
      }

      @Override
      public java.util.Optional<MeterStatus> status(String meterId) {
        return "m2".equals(meterId) ? java.util.Optional.of(published) : java.util.Optional.empty();
      }

      @Override
      public java.util.Optional<String> holder(String meterId) {
        return java.util.Optional.of("instance-b");
      }
    });
    poller.hold(here, false);
    MeterSpec added = new MeterSpec("m3", "tcp://127.0.0.1:3", "k", null, false, 0, false);
    registry.add(added);
    poller.add(added);
    assertThat(poller.held()).as("an added meter waits for its lease").containsExactly("m1");

    assertThat(poller.disconnect("m2").get(10, TimeUnit.SECONDS)).isEqualTo("disconnected");
    assertThat(poller.showMessage("m2", "hi").get(10, TimeUnit.SECONDS)).isEqualTo("hi");
    assertThat(poller.disconnect("m1").get(10, TimeUnit.SECONDS)).isEqualTo("disconnected");
    assertThat(handedOver).containsExactly("m2 disconnect null", "m2 message hi");
    assertThat(meters.meter("m1").relayConnected).isFalse();
    assertThat(meters.meter("m2").opens.get()).as("never opened here").isZero();

    assertThat(poller.readOnce("m2").get(10, TimeUnit.SECONDS).kind()).as("read by the holder").isEqualTo("once");
    assertThat(handedOver).last().isEqualTo("m2 read null");
    assertThatThrownBy(() -> poller.readOnce("nope")).isInstanceOf(java.util.NoSuchElementException.class);
    assertThatThrownBy(() -> poller.disconnect("nope")).isInstanceOf(java.util.NoSuchElementException.class);
    assertThat(poller.status("m2")).contains(published);
    assertThat(poller.statuses()).extracting(st -> st.spec().id()).containsExactly("m1", "m2");

    poller.setContinuous("m2", true);
    assertThat(registry.continuous("m2")).as("the holder follows the registry").isTrue();
    poller.release("m1");
    assertThat(poller.held()).isEmpty();
  }
}
