package org.s3mp.headend.alarms;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Optional;
import org.s3mp.headend.storage.Database;

/** The alarm table; every write is durable before it returns (an acknowledgement must survive a restart). */
final class AlarmStore {

  private static final String COLUMNS = "id, kind, subject, meter_id, raised_at, last_seen_at, occurrences, detail,"
      + " cleared_at, acknowledged_at, acknowledged_by";

  private final Database db;

  AlarmStore(Database db) {
    this.db = db;
  }

  /** The newest alarm of (kind, subject) that is still active or not acknowledged yet. */
  Optional<Alarm> current(AlarmKind kind, String subject) {
    List<Alarm> found = query("SELECT " + COLUMNS + " FROM alarm WHERE kind = ? AND subject = ?"
        + " AND (cleared_at IS NULL OR acknowledged_at IS NULL) ORDER BY id DESC LIMIT 1", kind.apiName(), subject);
    return found.stream().findFirst();
  }

  /** Every alarm still active or not acknowledged (what the rules resume from after a restart). */
  List<Alarm> allCurrent() {
    return query("SELECT " + COLUMNS + " FROM alarm WHERE cleared_at IS NULL OR acknowledged_at IS NULL ORDER BY id");
  }

  /** Newest first; state null: any. */
  List<Alarm> list(String state, int limit) {
    String where = state == null ? "" : Alarm.OPEN.equals(state) ? " WHERE acknowledged_at IS NULL"
        : " WHERE acknowledged_at IS NOT NULL";
    return query("SELECT " + COLUMNS + " FROM alarm" + where + " ORDER BY id DESC LIMIT " + limit);
  }

  Optional<Alarm> byId(long id) {
    return query("SELECT " + COLUMNS + " FROM alarm WHERE id = ?", id).stream().findFirst();
  }

  Map<AlarmKind, Long> openByKind() {
    Map<AlarmKind, Long> counts = new EnumMap<>(AlarmKind.class);
    for (AlarmKind k : AlarmKind.values()) {
      counts.put(k, 0L);
    }
    try (Connection c = db.connection();
        PreparedStatement ps = c.prepareStatement(
            "SELECT kind, COUNT(*) FROM alarm WHERE acknowledged_at IS NULL GROUP BY kind");
        ResultSet rs = ps.executeQuery()) {
      while (rs.next()) {
        counts.put(AlarmKind.parse(rs.getString(1)), rs.getLong(2));
      }
    } catch (SQLException e) {
      throw new IllegalStateException("counting open alarms: " + e.getMessage(), e);
    }
    return counts;
  }

  /** A change of the alarm table, applied with the others of the same check in one transaction. */
  sealed interface Write {}

  /** A new alarm. */
  record Insert(AlarmKind kind, String subject, String meterId, Instant at, long occurrences, String detail)
      implements Write {}

  /** Raised again or repeated: active again, counted, with the latest detail. */
  record Again(long id, Instant at, long moreOccurrences, String detail) implements Write {}

  /** The condition is over. */
  record Clear(long id, Instant at) implements Write {}

  /**
   * Applies the writes of one check in one transaction, made durable once: a fleet-wide outage raising thousands
   * of alarms costs one commit, not one per alarm (each holds the database's single writer).
   */
  void write(List<Write> writes) {
    if (writes.isEmpty()) {
      return;
    }
    try {
      db.inWriteTransaction(c -> {
        try (PreparedStatement insert = c.prepareStatement("INSERT INTO alarm (kind, subject, meter_id, raised_at,"
                + " last_seen_at, occurrences, detail) VALUES (?, ?, ?, ?, ?, ?, ?)");
            PreparedStatement again = c.prepareStatement("UPDATE alarm SET last_seen_at = ?, occurrences ="
                + " occurrences + ?, detail = ?, cleared_at = NULL WHERE id = ?");
            PreparedStatement clear = c.prepareStatement(
                "UPDATE alarm SET cleared_at = ? WHERE id = ? AND cleared_at IS NULL")) {
          for (Write w : writes) {
            if (w instanceof Insert i) {
              insert.setString(1, i.kind().apiName());
              insert.setString(2, truncate(i.subject(), 128));
              insert.setString(3, i.meterId());
              insert.setObject(4, Database.toDb(i.at()));
              insert.setObject(5, Database.toDb(i.at()));
              insert.setLong(6, i.occurrences());
              insert.setString(7, truncate(i.detail(), 1024));
              insert.addBatch();
            } else if (w instanceof Again a) {
              again.setObject(1, Database.toDb(a.at()));
              again.setLong(2, a.moreOccurrences());
              again.setString(3, truncate(a.detail(), 1024));
              again.setLong(4, a.id());
              again.addBatch();
            } else if (w instanceof Clear cl) {
              clear.setObject(1, Database.toDb(cl.at()));
              clear.setLong(2, cl.id());
              clear.addBatch();
            }
          }
          insert.executeBatch();
          again.executeBatch();
          clear.executeBatch();
        }
        return null;
      });
    } catch (SQLException e) {
      throw new IllegalStateException("storing alarms: " + e.getMessage(), e);
    }
  }

  /**
   * Acknowledges an open alarm; an event's alarm is over with it (the next such event raises a new one).
   *
   * @throws NoSuchElementException no such alarm
   * @throws IllegalStateException it was acknowledged already
   */
  Alarm acknowledge(long id, String actor, Instant at) {
    Alarm a = byId(id).orElseThrow(() -> new NoSuchElementException("no alarm " + id));
    if (a.acknowledgedAt() != null) {
      throw new IllegalStateException("alarm " + id + " was acknowledged already by " + a.acknowledgedBy());
    }
    String clear = AlarmKind.parse(a.kind()).condition() ? "" : ", cleared_at = COALESCE(cleared_at, ?)";
    List<Object> args = new ArrayList<>(List.of(Database.toDb(at), truncate(actor, 128)));
    if (!clear.isEmpty()) {
      args.add(Database.toDb(at));
    }
    args.add(id);
    int n = update("UPDATE alarm SET acknowledged_at = ?, acknowledged_by = ?" + clear
        + " WHERE id = ? AND acknowledged_at IS NULL", args.toArray());
    if (n == 0) {
      throw new IllegalStateException("alarm " + id + " was acknowledged already");
    }
    return byId(id).orElseThrow();
  }

  private int update(String sql, Object... args) {
    try (Connection c = db.writeConnection();
        PreparedStatement ps = c.prepareStatement(sql)) {
      for (int i = 0; i < args.length; i++) {
        ps.setObject(i + 1, args[i]);
      }
      int n = ps.executeUpdate();
      db.makeDurable(c);
      return n;
    } catch (SQLException e) {
      throw new IllegalStateException("updating alarms: " + e.getMessage(), e);
    }
  }

  private List<Alarm> query(String sql, Object... args) {
    List<Alarm> result = new ArrayList<>();
    try (Connection c = db.connection();
        PreparedStatement ps = c.prepareStatement(sql)) {
      for (int i = 0; i < args.length; i++) {
        ps.setObject(i + 1, args[i]);
      }
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          Instant cleared = Database.fromDb(rs, "cleared_at");
          Instant acked = Database.fromDb(rs, "acknowledged_at");
          result.add(new Alarm(rs.getLong("id"), rs.getString("kind"), rs.getString("subject"),
              rs.getString("meter_id"), acked == null ? Alarm.OPEN : Alarm.ACKNOWLEDGED, cleared == null,
              Database.fromDb(rs, "raised_at"), Database.fromDb(rs, "last_seen_at"), rs.getLong("occurrences"),
              rs.getString("detail"), cleared, acked, rs.getString("acknowledged_by")));
        }
      }
    } catch (SQLException e) {
      throw new IllegalStateException("reading alarms: " + e.getMessage(), e);
    }
    return result;
  }

  private static String truncate(String s, int max) {
    return s == null || s.length() <= max ? s : s.substring(0, max);
  }
}
