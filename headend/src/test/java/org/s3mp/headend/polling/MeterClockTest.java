package org.s3mp.headend.polling;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.s3mp.headend.FakeMeters;
import org.s3mp.headend.commands.AuditEntry;
import org.s3mp.headend.commands.AuditLog;
import org.s3mp.headend.fleet.MeterSpec;
import org.s3mp.headend.storage.Database;

/** The drift, the threshold and the audit of clock sets, against a fake meter clock. */
class MeterClockTest {

  @TempDir Path dir;
  Database db;
  AuditLog audit;
  FakeMeters meters = new FakeMeters();
  FakeMeters.Fake fake;
  MeterConnection connection;

  @BeforeEach
  void open() throws IOException {
    db = Database.open(dir.resolve("db").toString(), null, null);
    audit = new AuditLog(db);
    fake = meters.meter("m1");
    connection = meters.open(new MeterSpec("m1", "tcp://127.0.0.1:1", "k", null, false, 0, false),
        java.time.Duration.ofSeconds(5));
  }

  @AfterEach
  void close() {
    db.close();
  }

  private MeterClock clock(boolean autoSet) {
    return new MeterClock("m1", new ClockSettings(Duration.ofMinutes(15), Duration.ofSeconds(10), autoSet), audit);
  }

  @Test
  void nothingIsKnownBeforeTheFirstCheck() {
    MeterClock clock = clock(true);
    assertThat(clock.driftSeconds()).isNull();
    assertThat(clock.checkedAt()).isNull();
    assertThat(clock.readWithin(Duration.ofDays(1))).isFalse();
  }

  @Test
  void aDriftWithinTheLimitIsRecordedAndLeftAlone() throws IOException {
    fake.clockOffset = Duration.ofSeconds(-7);
    MeterClock clock = clock(true);
    clock.check(connection);
    assertThat(clock.driftSeconds()).isCloseTo(-7.0, within(0.5));
    assertThat(clock.checkedAt()).isNotNull();
    assertThat(clock.readWithin(Duration.ofMinutes(1))).isTrue();
    assertThat(fake.clockSets).hasValue(0);
    assertThat(audit.newest(10)).isEmpty();
  }

  @Test
  void aDriftBeyondTheLimitIsSetAuditedAsTheSystemAndReadAgain() throws IOException {
    fake.clockOffset = Duration.ofSeconds(120);
    MeterClock clock = clock(true);
    clock.check(connection);
    assertThat(fake.clockSets).hasValue(1);
    assertThat(clock.driftSeconds()).as("the drift read back after the set").isCloseTo(0.0, within(0.5));
    List<AuditEntry> entries = audit.newest(10);
    assertThat(entries).singleElement().satisfies(e -> {
      assertThat(e.actor()).isEqualTo("system");
      assertThat(e.action()).isEqualTo("clock-set");
      assertThat(e.meterId()).isEqualTo("m1");
      assertThat(e.argument()).as("the old drift").startsWith("drift +12");
      assertThat(e.result()).isEqualTo("ok");
      assertThat(e.detail()).matches("drift after set [+-]0\\.\\d{3} s");
    });
  }

  @Test
  void aMeterBehindIsSetToo() throws IOException {
    fake.clockOffset = Duration.ofSeconds(-45);
    MeterClock clock = clock(true);
    clock.check(connection);
    assertThat(fake.clockSets).hasValue(1);
    assertThat(audit.newest(1).get(0).argument()).startsWith("drift -4");
    assertThat(clock.driftSeconds()).isCloseTo(0.0, within(0.5));
  }

  @Test
  void withoutAutoSetTheDriftIsOnlyRecorded() throws IOException {
    fake.clockOffset = Duration.ofSeconds(300);
    MeterClock clock = clock(false);
    clock.check(connection);
    assertThat(fake.clockSets).hasValue(0);
    assertThat(clock.driftSeconds()).isCloseTo(300.0, within(0.5));
    assertThat(audit.newest(10)).isEmpty();
  }

  @Test
  void aSetTheMeterIgnoresIsAuditedAsFailed() throws IOException {
    fake.clockOffset = Duration.ofSeconds(120);
    fake.clockStuck = true;
    MeterClock clock = clock(true);
    clock.check(connection);
    assertThat(fake.clockSets).hasValue(1);
    assertThat(clock.driftSeconds()).isCloseTo(120.0, within(0.5));
    AuditEntry e = audit.newest(1).get(0);
    assertThat(e.result()).isEqualTo("failed");
    assertThat(e.detail()).startsWith("drift after set +12");
  }

  @Test
  void anOperatorsSetRunsWhateverTheDriftAndReportsBeforeAndAfter() throws IOException {
    fake.clockOffset = Duration.ofSeconds(3);
    ClockSet set = clock(false).set(connection);
    assertThat(set.before().driftSeconds()).isCloseTo(3.0, within(0.5));
    assertThat(set.after().driftSeconds()).isCloseTo(0.0, within(0.5));
    assertThat(set.confirmed()).isTrue();
    assertThat(fake.clockSets).hasValue(1);
    assertThat(audit.newest(10)).as("the API audits an operator's set, with the operator's name").isEmpty();

    fake.clockStuck = true;
    fake.clockOffset = Duration.ofSeconds(30);
    assertThat(clock(false).set(connection).confirmed()).isFalse();
  }

  @Test
  void driftIsMeterMinusHeadendAtTheMiddleOfTheRoundTrip() throws IOException {
    Instant meter = Instant.parse("2026-01-01T12:00:10Z");
    ClockReading r = new ClockReading(meter, Instant.parse("2026-01-01T12:00:00Z"), Duration.ofMillis(40));
    assertThat(r.driftSeconds()).isEqualTo(10.0);
    // the head-end's time noted for a measurement lies inside the call, not at its start or end
    Instant[] answeredAt = new Instant[2];
    ClockReading measured = ClockReading.measure(() -> {
      answeredAt[0] = Instant.now();
      return Instant.parse("2026-01-01T00:00:00Z");
    });
    answeredAt[1] = Instant.now();
    assertThat(measured.headendTime()).isBetween(answeredAt[0].minus(measured.roundTrip()), answeredAt[1]);
    assertThat(measured.meterTime()).isEqualTo(Instant.parse("2026-01-01T00:00:00Z"));
  }
}
