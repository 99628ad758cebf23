package org.s3mp.headend.storage;

import java.io.IOException;
import java.io.StringReader;
import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.postgresql.PGConnection;
import org.s3mp.headend.fleet.Reading;

/**
 * PostgreSQL: a batch of readings in one {@code COPY reading FROM STDIN} (text format) through the driver's
 * CopyManager, in the caller's transaction. Why: one round trip and no per-row statement work on the server,
 * cheaper than even multi-row INSERTs. A row that is refused (a duplicate key) fails the whole COPY; the writer
 * then stores the batch's readings one by one.
 */
final class ReadingCopy {

  static final String SQL = "COPY reading (meter_id, read_at, kind, relay, latency_ms, path_id, source,"
      + " register_set_id, register_values) FROM STDIN";

  /** Microseconds, as stored; the offset always as +00:00. */
  private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("uuuu-MM-dd HH:mm:ss.SSSSSSxxx");

  private ReadingCopy() {}

  static void copy(Connection c, List<Reading> readings, Map<Reading, Long> pathIds, Function<Reading, Long> setId,
      Function<Reading, BigDecimal[]> values) throws SQLException {
    StringBuilder rows = new StringBuilder(readings.size() * 160);
    for (Reading r : readings) {
      text(rows, r.meterId()).append('\t');
      rows.append(TIME.format(Database.toDb(r.readAt()))).append('\t');
      text(rows, r.kind()).append('\t');
      text(rows, r.relay()).append('\t');
      rows.append(r.latencyMs()).append('\t');
      nullable(rows, pathIds.get(r)).append('\t');
      text(rows, r.source()).append('\t');
      nullable(rows, setId.apply(r)).append('\t');
      array(rows, values.apply(r)).append('\n');
    }
    try {
      c.unwrap(PGConnection.class).getCopyAPI().copyIn(SQL, new StringReader(rows.toString()));
    } catch (IOException e) {
      throw new SQLException("COPY of " + readings.size() + " readings: " + e.getMessage(), e);
    }
  }

  private static StringBuilder nullable(StringBuilder sb, Long v) {
    return v == null ? sb.append("\\N") : sb.append(v.longValue());
  }

  private static StringBuilder array(StringBuilder sb, BigDecimal[] values) {
    if (values == null) {
      return sb.append("\\N");
    }
    sb.append('{');
    for (int i = 0; i < values.length; i++) {
      if (i > 0) {
        sb.append(',');
      }
      sb.append(values[i] == null ? "NULL" : values[i].toPlainString());
    }
    return sb.append('}');
  }

  /** A text column in COPY's text format: NULL as \N, backslash and control characters escaped. */
  static StringBuilder text(StringBuilder sb, String s) {
    if (s == null) {
      return sb.append("\\N");
    }
    for (int i = 0; i < s.length(); i++) {
      char ch = s.charAt(i);
      switch (ch) {
        case '\\' -> sb.append("\\\\");
        case '\t' -> sb.append("\\t");
        case '\n' -> sb.append("\\n");
        case '\r' -> sb.append("\\r");
        default -> sb.append(ch);
      }
    }
    return sb;
  }
}
