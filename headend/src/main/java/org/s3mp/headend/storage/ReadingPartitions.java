package org.s3mp.headend.storage;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * On PostgreSQL {@code reading} is partitioned by time (schema 18): one partition per UTC day,
 * {@code reading_YYYYMMDD}, plus {@code reading_default} for what no day partition takes. The writer creates a
 * day's partition (and the next day's, ahead) before it first stores a reading of that day; retention drops
 * a day's partition as a whole once all of it is older than the retention, instead of deleting row by row.
 *
 * <p>Why a default partition: a day whose partition cannot be created (its readings already are in the default
 * partition, e.g. written while creation failed) still takes readings; retention deletes those row by row.
 */
final class ReadingPartitions {

  static final String DEFAULT = "reading_default";
  private static final String PREFIX = "reading_";
  private static final DateTimeFormatter DAY = DateTimeFormatter.ofPattern("yyyyMMdd");

  private static final Logger log = LoggerFactory.getLogger(ReadingPartitions.class);

  private final Database db;
  /** Days whose partition exists (or could not be created: their readings go to the default partition). */
  private final Set<LocalDate> ensured = ConcurrentHashMap.newKeySet();

  ReadingPartitions(Database db) {
    this.db = db;
  }

  /** Makes sure the partitions of the days of {@code times} and of each following day exist. */
  void ensureFor(Iterable<Instant> times) throws SQLException {
    List<LocalDate> missing = new ArrayList<>();
    for (Instant t : times) {
      LocalDate day = day(t);
      for (LocalDate d : List.of(day, day.plusDays(1))) {
        if (!ensured.contains(d) && !missing.contains(d)) {
          missing.add(d);
        }
      }
    }
    if (missing.isEmpty()) {
      return;
    }
    try (Connection c = db.connection()) {
      for (LocalDate d : missing) {
        try {
          create(c, "reading", d);
        } catch (SQLException e) {
          // e.g. the default partition already holds readings of that day; they and the next stay there
          log.warn("reading partition of {} not created, its readings go to {}: {}", d, DEFAULT, e.getMessage());
        }
        ensured.add(d);
      }
    }
  }

  static LocalDate day(Instant t) {
    return LocalDate.ofInstant(t, ZoneOffset.UTC);
  }

  static String name(LocalDate day) {
    return PREFIX + DAY.format(day);
  }

  /** The day a partition's name stands for, or null for the default partition (or a name not of ours). */
  static LocalDate dayOf(String partition) {
    if (!partition.matches(PREFIX + "\\d{8}")) {
      return null;
    }
    return LocalDate.parse(partition.substring(PREFIX.length()), DAY);
  }

  /** Creates the partition of {@code day} of table {@code parent} unless it exists (autocommit or not). */
  static void create(Connection c, String parent, LocalDate day) throws SQLException {
    try (Statement s = c.createStatement()) {
      s.execute("CREATE TABLE IF NOT EXISTS " + name(day) + " PARTITION OF " + parent
          + " FOR VALUES FROM ('" + day + " 00:00:00+00') TO ('" + day.plusDays(1) + " 00:00:00+00')");
    }
  }

  /** The names of the partitions of {@code reading}, the default one included. */
  static List<String> list(Connection c) throws SQLException {
    List<String> names = new ArrayList<>();
    try (Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid"
            + " WHERE i.inhparent = 'reading'::regclass ORDER BY c.relname")) {
      while (rs.next()) {
        names.add(rs.getString(1));
      }
    }
    return names;
  }
}
