package org.s3mp.headend.storage;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;

/** Old and new rows of every kind in a real database, and what {@link Retention} must leave of them. */
final class RetentionFixture {

  static final Instant NOW = Instant.parse("2026-12-04T12:00:00Z");
  static final int DAYS = 30;
  /** More old readings than one batch holds: the round must take several batches. */
  static final int OLD = Retention.BATCH * 2 + 345;
  static final int NEW = 50;

  /** How many register values the readings hold. */
  static final String VALUES = "SELECT COALESCE(SUM(CARDINALITY(register_values)), 0) FROM reading";

  private RetentionFixture() {}

  /** Inserts OLD readings 31-33 days back and NEW readings 1-29 days back, 2 values each, plus the rest. */
  static void insert(Database db) throws SQLException {
    java.util.List<Instant> times = new java.util.ArrayList<>();
    for (int i = 0; i < OLD + NEW; i++) {
      times.add(i < OLD ? NOW.minus(Duration.ofDays(DAYS + 1)).minusSeconds(i * 60L)
          : NOW.minus(Duration.ofDays(DAYS - 1)).plusSeconds(i * 60L));
    }
    try (Connection c = db.writeConnection()) {
      c.setAutoCommit(false);
      insertReadings(c, times);
      try (PreparedStatement p = c.prepareStatement(
          "INSERT INTO path_change (meter_id, changed_at, reason) VALUES ('m1', ?, 'timeout')");
          PreparedStatement a = c.prepareStatement("INSERT INTO audit_log (requested_at, finished_at, actor, action,"
              + " meter_id, result) VALUES (?, ?, 'op', 'disconnect', 'm1', 'ok')");
          PreparedStatement al = c.prepareStatement("INSERT INTO alarm (kind, subject, meter_id, raised_at,"
              + " last_seen_at, occurrences) VALUES ('not-read', 'm1', 'm1', ?, ?, 1)");
          PreparedStatement pv = c.prepareStatement("INSERT INTO profile_value (meter_id, captured_at, obis,"
              + " scaled_value) VALUES ('m1', ?, '1.0.1.8.0.255', 1.0)")) {
        for (Instant at : new Instant[] {NOW.minus(Duration.ofDays(DAYS + 5)), NOW.minus(Duration.ofDays(1))}) {
          p.setObject(1, Database.toDb(at));
          p.executeUpdate();
          a.setObject(1, Database.toDb(at));
          a.setObject(2, Database.toDb(at));
          a.executeUpdate();
          al.setObject(1, Database.toDb(at));
          al.setObject(2, Database.toDb(at));
          al.executeUpdate();
          pv.setObject(1, Database.toDb(at));
          pv.executeUpdate();
        }
      }
      c.commit();
    }
  }

  /** One reading of 2 values at each time (meters m0..m6 in turn, every third one pushed), not committed. */
  static void insertReadings(Connection c, java.util.List<Instant> times) throws SQLException {
    java.util.List<RegisterSets.Register> set = java.util.List.of(new RegisterSets.Register("1.0.1.8.0.255", "Wh"),
        new RegisterSets.Register("1.0.2.8.0.255", "Wh"));
    long setId = RegisterSets.idFor(c, set, RegisterSets.digest(set));
    try (PreparedStatement r = c.prepareStatement("INSERT INTO reading (meter_id, read_at, kind, relay, latency_ms,"
        + " source, register_set_id, register_values) VALUES (?, ?, 'register', 'connected', 1.5, ?, ?, ?)")) {
      for (int i = 0; i < times.size(); i++) {
        r.setString(1, "m" + (i % 7));
        r.setObject(2, Database.toDb(times.get(i)));
        r.setString(3, i % 3 == 0 ? "push" : "poll");
        r.setLong(4, setId);
        r.setArray(5, c.createArrayOf("numeric", new java.math.BigDecimal[] {java.math.BigDecimal.ONE,
            java.math.BigDecimal.ONE}));
        r.addBatch();
      }
      r.executeBatch();
    }
  }

  static Retention retention(Database db, SimpleMeterRegistry metrics) {
    return new Retention(db, DAYS, metrics, Clock.fixed(NOW, ZoneOffset.UTC));
  }

  /** After a round: only the new readings, values and path change are left; audit, alarms, profiles all. */
  static void assertOnlyOldGone(Database db) throws SQLException {
    Instant cutoff = NOW.minus(Duration.ofDays(DAYS));
    assertThat(count(db, "SELECT COUNT(*) FROM reading")).isEqualTo(NEW);
    assertThat(count(db, "SELECT COUNT(*) FROM reading WHERE read_at < ?", cutoff)).isZero();
    assertThat(count(db, "SELECT COUNT(*) FROM reading WHERE source = 'push'")).isPositive();
    assertThat(count(db, VALUES)).isEqualTo(2L * NEW);
    assertThat(count(db, "SELECT COUNT(*) FROM path_change")).isEqualTo(1);
    assertThat(count(db, "SELECT COUNT(*) FROM path_change WHERE changed_at < ?", cutoff)).isZero();
    assertThat(count(db, "SELECT COUNT(*) FROM audit_log")).isEqualTo(2);
    assertThat(count(db, "SELECT COUNT(*) FROM alarm")).isEqualTo(2);
    assertThat(count(db, "SELECT COUNT(*) FROM profile_value")).isEqualTo(2);
  }

  static void assertNothingGone(Database db) throws SQLException {
    assertThat(count(db, "SELECT COUNT(*) FROM reading")).isEqualTo(OLD + NEW);
    assertThat(count(db, VALUES)).isEqualTo(2L * (OLD + NEW));
    assertThat(count(db, "SELECT COUNT(*) FROM path_change")).isEqualTo(2);
  }

  static long count(Database db, String sql, Instant... args) throws SQLException {
    try (Connection c = db.connection(); PreparedStatement ps = c.prepareStatement(sql)) {
      for (int i = 0; i < args.length; i++) {
        ps.setObject(i + 1, Database.toDb(args[i]));
      }
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getLong(1);
      }
    }
  }

  static void execute(Connection c, String sql) throws SQLException {
    try (Statement s = c.createStatement()) {
      s.execute(sql);
    }
  }
}
