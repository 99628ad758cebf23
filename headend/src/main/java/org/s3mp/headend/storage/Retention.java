package org.s3mp.headend.storage;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code database.retentionDays}: deletes readings (with their values; polled and pushed alike) and path changes
 * older than the retention, at start and then every 10 minutes. Audit entries, alarms, load profiles and push
 * events are kept. On PostgreSQL a day partition of the readings that is wholly older than the retention is
 * dropped as a whole (no row-by-row delete, no dead rows to vacuum); what the partitions do not take (the default
 * partition) goes row by row, up to the start of the cutoff's day: the readings of the cutoff day go with their
 * partition a day later (kept up to a day longer), rather than each round (every 10 minutes) deleting the next
 * 10 minutes of readings row by row from a partition that is dropped whole the day after anyway.
 *
 * <p>Why small batches, each its own transaction: a large delete would hold H2's single writer (see
 * {@link Database#writeConnection()}) or PostgreSQL row locks for long and stall the reading writer. Why a
 * PostgreSQL advisory lock per batch: with several instances sharing the database one of them deletes at a time,
 * the others skip the round (two deleting at once would be harmless, just wasted work).
 */
public final class Retention implements AutoCloseable {

  static final Duration EVERY = Duration.ofMinutes(10);
  static final int BATCH = 1000;
  /** The advisory lock's key on PostgreSQL: any fixed number no other part of the head-end uses. */
  private static final long LOCK_KEY = 0x53334d5052455431L; // "S3MPRET1"

  private static final Logger log = LoggerFactory.getLogger(Retention.class);

  private final Database db;
  private final Duration keep;
  private final Clock clock;
  private final Counter readings;
  private final Counter values;
  private final Counter pathChanges;
  private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
    Thread t = new Thread(r, "retention");
    t.setDaemon(true);
    return t;
  });
  private volatile boolean closed;

  /** What one round deleted; {@code skipped}: another instance held the lock. */
  public record Deleted(long readings, long values, long pathChanges, boolean skipped) {}

  public Retention(Database db, int days, MeterRegistry metrics, Clock clock) {
    if (days < 1) {
      throw new IllegalArgumentException("database.retentionDays: at least 1, got " + days);
    }
    this.db = db;
    this.keep = Duration.ofDays(days);
    this.clock = clock;
    this.readings = counter(metrics, "reading");
    this.values = counter(metrics, "reading_value");
    this.pathChanges = counter(metrics, "path_change");
  }

  private static Counter counter(MeterRegistry metrics, String table) {
    return Counter.builder("headend.retention.deleted").tag("table", table)
        .description("rows deleted because they were older than database.retentionDays").register(metrics);
  }

  /** Runs a round now (in the background) and then every 10 minutes. */
  public void start() {
    scheduler.scheduleWithFixedDelay(this::runQuietly, 0, EVERY.toMillis(), TimeUnit.MILLISECONDS);
  }

  private void runQuietly() {
    try {
      runOnce();
    } catch (SQLException | RuntimeException e) {
      // the next round tries again; a failed batch was rolled back
      log.warn("retention: deleting old readings failed, next try in {} min: {}", EVERY.toMinutes(), e.toString());
    }
  }

  /** One round: deletes in batches until nothing older than the retention is left (or the head-end stops). */
  public Deleted runOnce() throws SQLException {
    Instant cutoff = Database.truncate(clock.instant().minus(keep));
    long r = 0;
    long v = 0;
    long p = 0;
    if (db.shared()) {
      long[] dropped = dropPartitions(cutoff);
      r += dropped[0];
      v += dropped[1];
      if (dropped[2] != 0) {
        log.debug("retention: another instance is deleting old readings, skipped");
        return new Deleted(r, v, 0, true);
      }
    }
    Instant readingCutoff = db.shared() ? cutoff.truncatedTo(java.time.temporal.ChronoUnit.DAYS) : cutoff;
    while (!closed) {
      long[] batch = deleteBatch(readingCutoff, cutoff);
      if (batch == null) {
        log.debug("retention: another instance is deleting old readings, skipped");
        return new Deleted(r, v, p, true);
      }
      r += batch[0];
      v += batch[1];
      p += batch[2];
      if (batch[0] < BATCH && batch[2] < BATCH) {
        break;
      }
    }
    if (r + v + p > 0) {
      log.info("retention: deleted {} readings ({} values) and {} path changes older than {} ({} days)", r, v, p,
          cutoff, keep.toDays());
    }
    return new Deleted(r, v, p, false);
  }

  /** One transaction: up to BATCH readings with their values and up to BATCH path changes; null if locked out. */
  private long[] deleteBatch(Instant readingCutoff, Instant cutoff) throws SQLException {
    long[] deleted = db.inWriteTransaction(c -> {
      if (db.shared() && !advisoryLock(c)) {
        return null; // another instance holds the lock: this transaction did nothing
      }
      String oldest = "SELECT meter_id, read_at FROM reading WHERE read_at < ? ORDER BY read_at LIMIT " + BATCH;
      long v = count(c, "SELECT COALESCE(SUM(CARDINALITY(register_values)), 0) FROM reading"
          + " WHERE (meter_id, read_at) IN (" + oldest + ")", readingCutoff);
      long r = update(c, "DELETE FROM reading WHERE (meter_id, read_at) IN (" + oldest + ")", readingCutoff);
      long p = update(c, "DELETE FROM path_change WHERE (meter_id, changed_at) IN (SELECT meter_id, changed_at"
          + " FROM path_change WHERE changed_at < ? ORDER BY changed_at LIMIT " + BATCH + ")", cutoff);
      return new long[] {r, v, p};
    }, NOT_ACKNOWLEDGED);
    if (deleted != null) {
      readings.increment(deleted[0]);
      values.increment(deleted[1]);
      pathChanges.increment(deleted[2]);
    }
    return deleted;
  }

  /** A deletion is acknowledged to no one: one that returns after kill -9 is done again, no CHECKPOINT needed. */
  private static final java.util.function.Predicate<Object> NOT_ACKNOWLEDGED = result -> false;

  /**
   * PostgreSQL: drops the day partitions of {@code reading} (see {@link ReadingPartitions}) that lie wholly before
   * the cutoff, one transaction each, counting their readings and values first; what is left older than the
   * cutoff (part of a day, the default partition) the row batches delete. Returns {readings, values, 1 if another
   * instance held the lock (the round stops) else 0}.
   */
  private long[] dropPartitions(Instant cutoff) throws SQLException {
    long r = 0;
    long v = 0;
    List<String> names;
    try (Connection c = db.connection()) {
      names = ReadingPartitions.list(c);
    }
    for (String name : names) {
      java.time.LocalDate day = ReadingPartitions.dayOf(name);
      // the partition of day d holds [d, d+1): all of it is older than the cutoff when d+1 <= cutoff
      if (day == null || closed
          || day.plusDays(1).atStartOfDay(java.time.ZoneOffset.UTC).toInstant().isAfter(cutoff)) {
        continue;
      }
      long[] dropped = db.inWriteTransaction(c -> {
        if (!advisoryLock(c)) {
          return null; // another instance holds the lock: this transaction did nothing
        }
        long rows = count(c, "SELECT COUNT(*) FROM " + name, null);
        long values = count(c, "SELECT COALESCE(SUM(CARDINALITY(register_values)), 0) FROM " + name, null);
        try (java.sql.Statement s = c.createStatement()) {
          s.execute("DROP TABLE " + name);
        }
        return new long[] {rows, values};
      }, NOT_ACKNOWLEDGED);
      if (dropped == null) {
        return new long[] {r, v, 1};
      }
      readings.increment(dropped[0]);
      this.values.increment(dropped[1]);
      r += dropped[0];
      v += dropped[1];
      log.info("retention: dropped the partition {} ({} readings, all older than {})", name, dropped[0], cutoff);
    }
    return new long[] {r, v, 0};
  }

  private static long count(Connection c, String sql, Instant cutoff) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      if (cutoff != null) {
        ps.setObject(1, Database.toDb(cutoff));
      }
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getLong(1);
      }
    }
  }

  /** Held until the transaction ends; false when another instance holds it. */
  private static boolean advisoryLock(Connection c) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("SELECT pg_try_advisory_xact_lock(?)")) {
      ps.setLong(1, LOCK_KEY);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getBoolean(1);
      }
    }
  }

  private static long update(Connection c, String sql, Instant cutoff) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      ps.setObject(1, Database.toDb(cutoff));
      return ps.executeLargeUpdate();
    }
  }

  @Override
  public void close() {
    closed = true;
    scheduler.shutdown();
    try {
      if (!scheduler.awaitTermination(10, TimeUnit.SECONDS)) {
        log.warn("retention: a delete batch still runs at shutdown");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
