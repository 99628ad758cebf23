package org.s3mp.headend.alarms;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.s3mp.headend.fleet.MeterSpec;
import org.s3mp.headend.fleet.NetworkPath;
import org.s3mp.headend.fleet.Reading;
import org.s3mp.headend.polling.MeterStatus;
import org.s3mp.headend.storage.Database;

/** The alarm rules against a real (H2) database, a fleet of statuses set by the test and a clock it moves. */
class AlarmsTest {

  static final AlarmRules RULES = new AlarmRules(3, 3, 2, Duration.ofMinutes(10), Duration.ofSeconds(1));
  static final Instant T0 = Instant.parse("2026-12-04T12:00:00Z");

  @TempDir Path dir;
  Database db;
  SimpleMeterRegistry metrics = new SimpleMeterRegistry();
  Instant now = T0;
  final Map<String, MeterStatus> fleet = new ConcurrentHashMap<>();
  Alarms alarms;

  final Clock clock = new Clock() {
    @Override
    public ZoneOffset getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(java.time.ZoneId zone) {
      throw new UnsupportedOperationException();
    }

    @Override
    public Instant instant() {
      return now;
    }
  };

  @BeforeEach
  void open() {
    db = Database.open(dir.resolve("db").toString(), null, null);
    alarms = start();
  }

  @AfterEach
  void close() {
    alarms.close();
    db.close();
  }

  Alarms start() {
    return new Alarms(db, RULES, () -> List.copyOf(fleet.values()), metrics, clock);
  }

  static MeterStatus meter(String id, int pollSeconds, Instant lastReadingAt, boolean connected) {
    return new MeterStatus(new MeterSpec(id, "tcp://127.0.0.1:4059", null, null, false, pollSeconds, false), "tcp",
        connected, false, "connected", lastReadingAt, connected ? null : "timeout", null, null, null);
  }

  double openGauge(AlarmKind kind) {
    return metrics.get("headend.alarms.open").tag("kind", kind.apiName()).gauge().value();
  }

  @Test
  void aMeterNotReadForMoreThanNIntervalsRaisesOneAlarmThatStaysOpenUntilAcknowledged() {
    fleet.put("m1", meter("m1", 60, T0, true));
    now = T0.plusSeconds(185);
    alarms.evaluate();
    assertThat(alarms.list(null, 10)).as("exactly 3 intervals (and the slack) is not more").isEmpty();

    now = T0.plusSeconds(186);
    alarms.evaluate();
    alarms.evaluate();
    List<Alarm> open = alarms.list("open", 10);
    assertThat(open).singleElement().satisfies(a -> {
      assertThat(a.kind()).isEqualTo("not_read");
      assertThat(a.meterId()).isEqualTo("m1");
      assertThat(a.active()).isTrue();
      assertThat(a.occurrences()).isEqualTo(1);
      assertThat(a.detail()).contains("not read for 186 s (more than 3 poll intervals of 60 s and 5 s)");
    });
    assertThat(openGauge(AlarmKind.NOT_READ)).isEqualTo(1.0);

    // read again: the condition is over, the alarm waits for an operator
    fleet.put("m1", meter("m1", 60, now, true));
    alarms.evaluate();
    Alarm cleared = alarms.list("open", 10).get(0);
    assertThat(cleared.active()).isFalse();
    assertThat(cleared.clearedAt()).isEqualTo(now);

    // late again before anyone acknowledged: the same alarm, counted twice
    now = now.plusSeconds(200);
    alarms.evaluate();
    assertThat(alarms.list(null, 10)).singleElement().satisfies(a -> {
      assertThat(a.id()).isEqualTo(cleared.id());
      assertThat(a.active()).isTrue();
      assertThat(a.occurrences()).isEqualTo(2);
    });
  }

  @Test
  void aFleetWideOutageRaisesAnAlarmPerMeterInOneCheck() {
    for (int i = 0; i < 500; i++) {
      fleet.put("m" + i, meter("m" + i, 60, T0, false));
    }
    now = T0.plusSeconds(186);
    alarms.evaluate();
    assertThat(alarms.list("open", 1000)).hasSize(500).allMatch(a -> a.kind().equals("not_read"));
    assertThat(openGauge(AlarmKind.NOT_READ)).isEqualTo(500.0);
    // all read again: all cleared in the next check, still open
    for (int i = 0; i < 500; i++) {
      fleet.put("m" + i, meter("m" + i, 60, now, true));
    }
    alarms.evaluate();
    assertThat(alarms.list("open", 1000)).hasSize(500).noneMatch(Alarm::active);
  }

  @Test
  void aMeterNeverReadCountsFromWhenTheRulesFirstSawIt() {
    fleet.put("m1", meter("m1", 10, null, false));
    alarms.evaluate();
    now = T0.plusSeconds(36);
    alarms.evaluate();
    assertThat(alarms.list(null, 10)).singleElement().satisfies(a -> {
      assertThat(a.kind()).isEqualTo("not_read");
      assertThat(a.detail()).contains("last error: timeout");
    });
  }

  @Test
  void associationFailuresInARowRaiseAnAlarmThatClearsOnceAnAssociationIsUp() {
    fleet.put("m1", meter("m1", 0, null, false));
    var events = alarms.sessionEvents();
    events.associationFailed("m1", "connection refused");
    events.associationFailed("m1", "connection refused");
    alarms.evaluate();
    assertThat(alarms.list(null, 10)).as("two failures are fewer than three").isEmpty();

    events.associationFailed("m1", "the meter refused the association");
    alarms.evaluate();
    assertThat(alarms.list("open", 10)).singleElement().satisfies(a -> {
      assertThat(a.kind()).isEqualTo("association_failures");
      assertThat(a.detail()).contains("3 association set-ups failed in a row")
          .contains("the meter refused the association");
    });

    events.associated("m1");
    fleet.put("m1", meter("m1", 0, now, true));
    alarms.evaluate();
    assertThat(alarms.list("open", 10).get(0).active()).isFalse();
  }

  @Test
  void refusedCommandsOfOneMeterAreOneAlarmUntilAcknowledgedThenTheNextRaisesANewOne() {
    fleet.put("m1", meter("m1", 0, T0, true));
    var events = alarms.sessionEvents();
    events.commandRefused("m1", "disconnect", "not confirmed, read back: connected");
    events.commandRefused("m1", "message", "meter timeout");
    alarms.evaluate();
    Alarm first = alarms.list("open", 10).get(0);
    assertThat(first.kind()).isEqualTo("command_refused");
    assertThat(first.occurrences()).isEqualTo(2);
    assertThat(first.detail()).isEqualTo("message: meter timeout");

    Alarm acked = alarms.acknowledge(first.id(), "olga");
    assertThat(acked.state()).isEqualTo("acknowledged");
    assertThat(acked.acknowledgedBy()).isEqualTo("olga");
    assertThat(acked.active()).as("an event is over once acknowledged").isFalse();
    assertThat(openGauge(AlarmKind.COMMAND_REFUSED)).isEqualTo(0.0);
    assertThatThrownBy(() -> alarms.acknowledge(first.id(), "olga")).isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("acknowledged already");
    assertThatThrownBy(() -> alarms.acknowledge(9999, "olga")).isInstanceOf(NoSuchElementException.class);

    events.commandRefused("m1", "reconnect", "meter timeout");
    alarms.evaluate();
    assertThat(alarms.list("open", 10)).singleElement().satisfies(a -> assertThat(a.id()).isNotEqualTo(first.id()));
    assertThat(alarms.list("acknowledged", 10)).extracting(Alarm::id).containsExactly(first.id());
  }

  @Test
  void refusedPushesAreOneAlarmPerSourceHost() {
    alarms.pushRefused("wrong_keys", "tcp:127.0.0.9:40001#1", "authentication failed");
    alarms.pushRefused("replayed", "tcp:127.0.0.9:40002#2", "counter 5 not above 7");
    alarms.pushRefused("unknown_meter", "scion:1-ff00:0:111,[127.0.111.1]:31000", null);
    alarms.evaluate();
    assertThat(alarms.list("open", 10)).extracting(Alarm::subject, Alarm::occurrences)
        .containsExactlyInAnyOrder(org.assertj.core.groups.Tuple.tuple("push from tcp:127.0.0.9", 2L),
            org.assertj.core.groups.Tuple.tuple("push from scion:1-ff00:0:111,[127.0.111.1]", 1L));
    assertThat(openGauge(AlarmKind.PUSH_REFUSED)).isEqualTo(2.0);
  }

  @Test
  void moreThanKFailoversInTheWindowAreAStormThatEndsWhenTheyAgeOut() {
    fleet.put("m1", meter("m1", 0, T0, true));
    NetworkPath a = path("1-ff00:0:110");
    NetworkPath b = path("1-ff00:0:120");
    reading("m1", a);
    reading("m1", b);
    reading("m1", a);
    alarms.evaluate();
    assertThat(alarms.list(null, 10)).as("2 changes are not more than 2").isEmpty();
    reading("m1", a); // same path: no change
    reading("m1", b);
    alarms.evaluate();
    assertThat(alarms.list("open", 10)).singleElement().satisfies(x -> {
      assertThat(x.kind()).isEqualTo("failover_storm");
      assertThat(x.detail()).startsWith("3 path changes in the last 10 min");
    });

    now = now.plus(Duration.ofMinutes(11));
    alarms.evaluate();
    assertThat(alarms.list("open", 10).get(0).active()).isFalse();
  }

  @Test
  void anAcknowledgementSurvivesARestartAndTheGaugeResumesFromTheDatabase() {
    fleet.put("m1", meter("m1", 0, T0, true));
    alarms.sessionEvents().commandRefused("m1", "disconnect", "timeout");
    alarms.pushRefused("wrong_keys", "tcp:127.0.0.9:1#1", "x");
    alarms.evaluate();
    long id = alarms.list(null, 10).stream().filter(x -> x.kind().equals("command_refused")).findFirst()
        .orElseThrow().id();
    alarms.acknowledge(id, "olga");
    alarms.close();
    db.close();

    db = Database.open(dir.resolve("db").toString(), null, null);
    metrics = new SimpleMeterRegistry();
    alarms = start();
    assertThat(openGauge(AlarmKind.PUSH_REFUSED)).isEqualTo(1.0);
    assertThat(openGauge(AlarmKind.COMMAND_REFUSED)).isEqualTo(0.0);
    Alarm after = alarms.list("acknowledged", 10).get(0);
    assertThat(after.id()).isEqualTo(id);
    assertThat(after.acknowledgedBy()).isEqualTo("olga");
    assertThatThrownBy(() -> alarms.list("closed", 10)).isInstanceOf(IllegalArgumentException.class);
  }

  void reading(String meter, NetworkPath p) {
    now = now.plusSeconds(1);
    alarms.readingStored(new Reading(meter, now, "poll", "connected", 1, p, List.of()));
  }

  static NetworkPath path(String via) {
    return new NetworkPath(List.of(new NetworkPath.Hop("1-ff00:0:112", 1, null, 1L, "CH", null, null),
        new NetworkPath.Hop(via, 1, 1L, 2L, "CH", null, null),
        new NetworkPath.Hop("1-ff00:0:111", 1, 1L, null, "CH", null, null)), null);
  }
}
