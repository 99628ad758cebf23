package org.s3mp.headend.storage;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Instant;
import java.util.List;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;
import org.s3mp.headend.fleet.Reading;
import org.s3mp.headend.fleet.RegisterValue;

/**
 * A database at schema 15 (before the compact readings) with readings in the old form, one {@code reading_value}
 * row per register, and what they must read as after schema 18.
 */
final class CompactReadingsFixture {

  static final Instant T0 = Instant.parse("2026-11-30T23:59:58.123456Z");

  private CompactReadingsFixture() {}

  /** Migrates {@code ds} to schema 15, as a head-end before this change left it. */
  static void migrateToSchema15(DataSource ds) {
    Flyway.configure().dataSource(ds).locations("classpath:org/s3mp/headend/storage/migration")
        .javaMigrations(new V3__Structured_paths(), new V18__Compact_readings()).target("15").load().migrate();
  }

  /**
   * m1: 3 readings across midnight (two days), registers inserted out of OBIS order, one value NULL, one unit
   * NULL; m2: one reading with other registers; m3: a reading without values.
   */
  static void insertOldRows(DataSource ds) throws SQLException {
    try (Connection c = ds.getConnection();
        PreparedStatement r = c.prepareStatement("INSERT INTO reading (meter_id, read_at, kind, relay, latency_ms,"
            + " source) VALUES (?, ?, 'register', ?, ?, 'poll')");
        PreparedStatement v = c.prepareStatement("INSERT INTO reading_value (meter_id, read_at, obis,"
            + " scaled_value, unit_symbol) VALUES (?, ?, ?, ?, ?)")) {
      for (int i = 0; i < 3; i++) {
        Instant at = T0.plusSeconds(i);
        row(r, "m1", at, 1.5 + i);
        value(v, "m1", at, "1.0.32.7.0.255", new BigDecimal("230.1"), "V");
        value(v, "m1", at, "1.0.1.8.0.255", new BigDecimal(1000 + i), "Wh");
        value(v, "m1", at, "0.0.96.3.10.255", null, null);
      }
      row(r, "m2", T0, 2.0);
      value(v, "m2", T0, "1.0.2.8.0.255", new BigDecimal("0.000000001"), "Wh");
      row(r, "m3", T0, 3.0);
      r.executeBatch();
      v.executeBatch();
    }
  }

  private static void row(PreparedStatement r, String meter, Instant at, double latency) throws SQLException {
    r.setString(1, meter);
    r.setObject(2, Database.toDb(at));
    r.setString(3, "connected");
    r.setDouble(4, latency);
    r.addBatch();
  }

  private static void value(PreparedStatement v, String meter, Instant at, String obis, BigDecimal value,
      String unit) throws SQLException {
    v.setString(1, meter);
    v.setObject(2, Database.toDb(at));
    v.setString(3, obis);
    v.setBigDecimal(4, value);
    v.setString(5, unit);
    v.addBatch();
  }

  /** The old rows read back through the store exactly as before schema 18 (values ordered by OBIS code). */
  static void assertOldRowsReadable(ReadingStore store) {
    Instant to = T0.plusSeconds(60);
    List<Reading> m1 = store.between("m1", T0.minusSeconds(60), to, 100);
    assertThat(m1).hasSize(3);
    for (int i = 0; i < 3; i++) {
      Reading r = m1.get(i);
      assertThat(r.readAt()).isEqualTo(T0.plusSeconds(i));
      assertThat(r.latencyMs()).isEqualTo(1.5 + i);
      assertThat(r.relay()).isEqualTo("connected");
      assertThat(r.source()).isEqualTo("poll");
      assertThat(r.values()).containsExactly(
          new RegisterValue("0.0.96.3.10.255", null, null),
          // as before schema 18: trailing zeros stripped (1000 reads as 1E+3)
          new RegisterValue("1.0.1.8.0.255", new BigDecimal(1000 + i).stripTrailingZeros(), "Wh"),
          new RegisterValue("1.0.32.7.0.255", new BigDecimal("230.1"), "V"));
    }
    // the limit keeps the newest
    assertThat(store.between("m1", T0.minusSeconds(60), to, 2)).extracting(Reading::readAt)
        .containsExactly(T0.plusSeconds(1), T0.plusSeconds(2));
    assertThat(store.between("m2", T0, to, 10)).singleElement().extracting(Reading::values)
        .isEqualTo(List.of(new RegisterValue("1.0.2.8.0.255", new BigDecimal("1E-9"), "Wh")));
    assertThat(store.between("m3", T0, to, 10)).singleElement().extracting(Reading::values)
        .isEqualTo(List.of());
  }

  /** A reading as the head-end polls it: values not in OBIS order. */
  static Reading newReading(String meter, Instant at) {
    return new Reading(meter, at, "register", "connected", 4.25, null, List.of(
        new RegisterValue("1.0.32.7.0.255", new BigDecimal("229.9"), "V"),
        new RegisterValue("1.0.1.8.0.255", new BigDecimal("12345.678"), "Wh")), Reading.POLL);
  }

  static void assertNewReadingReadable(ReadingStore store, String meter, Instant at) {
    assertThat(store.between(meter, at, at.plusSeconds(1), 10)).singleElement().satisfies(r -> {
      assertThat(r.latencyMs()).isEqualTo(4.25);
      assertThat(r.kind()).isEqualTo("register");
      assertThat(r.values()).containsExactly(
          new RegisterValue("1.0.1.8.0.255", new BigDecimal("12345.678"), "Wh"),
          new RegisterValue("1.0.32.7.0.255", new BigDecimal("229.9"), "V"));
    });
  }
}
