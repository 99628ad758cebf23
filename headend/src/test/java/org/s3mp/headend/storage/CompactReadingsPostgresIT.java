package org.s3mp.headend.storage;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.postgresql.ds.PGSimpleDataSource;
import org.s3mp.headend.fleet.Reading;

/** Schema 18 on a real PostgreSQL: the migration of old rows, the day partitions, COPY, retention by partition. */
class CompactReadingsPostgresIT {

  @Test
  void oldReadingsMoveIntoDayPartitionsAndReadTheSame() throws Exception {
    try (LocalPostgres pg = LocalPostgres.start()) {
      PGSimpleDataSource old = new PGSimpleDataSource();
      old.setURL(pg.url());
      CompactReadingsFixture.migrateToSchema15(old);
      CompactReadingsFixture.insertOldRows(old);

      try (Database db = Database.open(pg.url(), null, null)) {
        try (Connection c = db.connection()) {
          // T0 is 23:59:58 on 2026-11-30; m1's last reading is on 2026-12-01
          assertThat(ReadingPartitions.list(c))
              .containsExactly("reading_20261130", "reading_20261201", ReadingPartitions.DEFAULT);
        }
        assertThat(RetentionFixture.count(db, "SELECT COUNT(*) FROM reading_20261130")).isEqualTo(4);
        assertThat(RetentionFixture.count(db, "SELECT COUNT(*) FROM reading_20261201")).isEqualTo(1);
        assertThat(RetentionFixture.count(db, "SELECT COUNT(*) FROM " + ReadingPartitions.DEFAULT)).isZero();
        assertThat(RetentionFixture.count(db, "SELECT COUNT(*) FROM register_set")).isEqualTo(2);
        try (ReadingStore store = new ReadingStore(db, 100, new SimpleMeterRegistry())) {
          CompactReadingsFixture.assertOldRowsReadable(store);
        }
      }
    }
  }

  @Test
  void theWriterCreatesTheDaysPartitionsAndCopiesBatchesIn() throws Exception {
    try (LocalPostgres pg = LocalPostgres.start();
        Database db = Database.open(pg.url(), null, null)) {
      Instant day = Instant.parse("2027-03-10T12:00:00Z");
      // a duplicate in the batch fails the COPY; the others are then stored one by one
      Reading duplicate = CompactReadingsFixture.newReading("m0", day);
      List<CompletableFuture<Reading>> futures = new ArrayList<>();
      try (ReadingStore store = new ReadingStore(db, 100, new SimpleMeterRegistry())) {
        for (int i = 0; i < 50; i++) {
          futures.add(store.append(CompactReadingsFixture.newReading("m" + (i % 5), day.plusSeconds(i / 5))));
        }
        CompletableFuture<Reading> again = store.append(duplicate);
        for (CompletableFuture<Reading> f : futures) {
          f.get(60, TimeUnit.SECONDS);
        }
        assertThat(again).failsWithin(Duration.ofSeconds(60))
            .withThrowableOfType(java.util.concurrent.ExecutionException.class).withMessageContaining("duplicate key");
        CompactReadingsFixture.assertNewReadingReadable(store, "m3", day.plusSeconds(9));
      }
      try (Connection c = db.connection()) {
        // the day's partition and the next day's, created ahead
        assertThat(ReadingPartitions.list(c)).contains("reading_20270310", "reading_20270311");
      }
      assertThat(RetentionFixture.count(db, "SELECT COUNT(*) FROM reading_20270310")).isEqualTo(50);
      assertThat(RetentionFixture.count(db, "SELECT COUNT(*) FROM " + ReadingPartitions.DEFAULT)).isZero();
    }
  }

  @Test
  void retentionDropsTheDaysWhollyOlderAndKeepsTheCutoffsDayForItsDropTheDayAfter() throws Exception {
    try (LocalPostgres pg = LocalPostgres.start();
        Database db = Database.open(pg.url(), null, null)) {
      // partitions for the fixture's days: its old readings lie 31 to 33 days back, wholly before the cutoff's day
      LocalDate first = ReadingPartitions.day(RetentionFixture.NOW.minus(Duration.ofDays(35)));
      try (Connection c = db.connection()) {
        for (LocalDate d = first; !d.isAfter(ReadingPartitions.day(RetentionFixture.NOW)); d = d.plusDays(1)) {
          ReadingPartitions.create(c, "reading", d);
        }
      }
      RetentionFixture.insert(db);
      // on the cutoff's own day: one reading an hour before the cutoff and one an hour after, both kept: their
      // partition is dropped whole the day after, not emptied row by row meanwhile
      Instant cutoff = RetentionFixture.NOW.minus(Duration.ofDays(RetentionFixture.DAYS));
      try (Connection c = db.connection();
          PreparedStatement ps = c.prepareStatement("INSERT INTO reading (meter_id, read_at, kind, latency_ms)"
              + " VALUES ('m9', ?, 'register', 1)")) {
        for (Instant at : new Instant[] {cutoff.minusSeconds(3600), cutoff.plusSeconds(3600)}) {
          ps.setObject(1, Database.toDb(at));
          ps.executeUpdate();
        }
      }
      String cutoffDay = ReadingPartitions.name(ReadingPartitions.day(cutoff));
      List<String> before;
      try (Connection c = db.connection()) {
        before = ReadingPartitions.list(c);
      }
      SimpleMeterRegistry metrics = new SimpleMeterRegistry();
      try (Retention retention = RetentionFixture.retention(db, metrics)) {
        assertThat(retention.runOnce()).isEqualTo(
            new Retention.Deleted(RetentionFixture.OLD, 2L * RetentionFixture.OLD, 1, false));
      }
      List<String> after;
      try (Connection c = db.connection()) {
        after = ReadingPartitions.list(c);
      }
      // every day before the cutoff's day is gone as a whole; the cutoff's day and later ones stay
      assertThat(after).allSatisfy(name -> {
        LocalDate d = ReadingPartitions.dayOf(name);
        if (d != null) {
          assertThat(d.plusDays(1).atStartOfDay(java.time.ZoneOffset.UTC).toInstant()).as(name).isAfter(cutoff);
        }
      });
      assertThat(after).contains(cutoffDay, ReadingPartitions.DEFAULT);
      assertThat(before.size() - after.size()).isEqualTo(ReadingPartitions.day(cutoff).toEpochDay() - first.toEpochDay());
      assertThat(RetentionFixture.count(db, "SELECT COUNT(*) FROM " + cutoffDay)).isEqualTo(2);
      assertThat(RetentionFixture.count(db, "SELECT COUNT(*) FROM reading WHERE meter_id = 'm9'")).isEqualTo(2);
      assertThat(RetentionFixture.count(db, "SELECT COUNT(*) FROM reading")).isEqualTo(RetentionFixture.NEW + 2);
      assertThat(metrics.get("headend.retention.deleted").tag("table", "reading").counter().count())
          .isEqualTo(RetentionFixture.OLD);
    }
  }
}
