package org.s3mp.headend.storage;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.sql.Connection;
import org.junit.jupiter.api.Test;

/** database.retentionDays on a real PostgreSQL, shared by two instances (two connection pools). */
class RetentionPostgresIT {

  @Test
  void deletesOnlyOldRowsAndOneInstanceAtATime() throws Exception {
    try (LocalPostgres pg = LocalPostgres.start();
        Database first = Database.open(pg.url(), null, null);
        Database second = Database.open(pg.url(), null, null)) {
      RetentionFixture.insert(first);
      try (Retention a = RetentionFixture.retention(first, new SimpleMeterRegistry());
          Retention b = RetentionFixture.retention(second, new SimpleMeterRegistry())) {
        // while instance A is in a round (holds the lock), instance B skips its round and deletes nothing
        try (Connection c = first.connection()) {
          c.setAutoCommit(false);
          RetentionFixture.execute(c, "SELECT pg_advisory_xact_lock(" + 0x53334d5052455431L + ")");
          assertThat(b.runOnce()).isEqualTo(new Retention.Deleted(0, 0, 0, true));
          RetentionFixture.assertNothingGone(second);
          c.rollback();
        }
        assertThat(b.runOnce())
            .isEqualTo(new Retention.Deleted(RetentionFixture.OLD, 2L * RetentionFixture.OLD, 1, false));
        RetentionFixture.assertOnlyOldGone(first);
        assertThat(a.runOnce()).isEqualTo(new Retention.Deleted(0, 0, 0, false));
      }
    }
  }

  /**
   * Readings of the cutoff's day older than the cutoff stay until the next day, when their whole day goes: no row
   * deletes in a partition being written to.
   */
  @Test
  void keepsTheCutoffsDayUntilTheDayAfter() throws Exception {
    java.time.Instant cutoff = RetentionFixture.NOW.minus(java.time.Duration.ofDays(RetentionFixture.DAYS));
    java.time.Instant cutoffDay = cutoff.truncatedTo(java.time.temporal.ChronoUnit.DAYS);
    java.util.List<java.time.Instant> sameDay = new java.util.ArrayList<>();
    for (int i = 0; i < 10; i++) {
      sameDay.add(cutoffDay.plus(java.time.Duration.ofHours(1)).plusSeconds(i * 60L));
    }
    try (LocalPostgres pg = LocalPostgres.start(); Database db = Database.open(pg.url(), null, null)) {
      RetentionFixture.insert(db);
      try (Connection c = db.writeConnection()) {
        c.setAutoCommit(false);
        RetentionFixture.insertReadings(c, sameDay);
        c.commit();
      }
      try (Retention today = RetentionFixture.retention(db, new SimpleMeterRegistry())) {
        assertThat(today.runOnce())
            .isEqualTo(new Retention.Deleted(RetentionFixture.OLD, 2L * RetentionFixture.OLD, 1, false));
      }
      assertThat(RetentionFixture.count(db, "SELECT COUNT(*) FROM reading WHERE read_at < ?", cutoff))
          .as("the cutoff day's readings before the cutoff").isEqualTo(sameDay.size());
      try (Retention tomorrow = new Retention(db, RetentionFixture.DAYS, new SimpleMeterRegistry(),
          java.time.Clock.fixed(RetentionFixture.NOW.plus(java.time.Duration.ofDays(1)), java.time.ZoneOffset.UTC))) {
        assertThat(tomorrow.runOnce()).isEqualTo(new Retention.Deleted(sameDay.size(), 2L * sameDay.size(), 0, false));
      }
      assertThat(RetentionFixture.count(db, "SELECT COUNT(*) FROM reading")).isEqualTo(RetentionFixture.NEW);
    }
  }
}
