package org.s3mp.headend.storage;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.s3mp.dlms.push.PushReceiver;

/**
 * What the push listener keeps: the last invocation counter accepted per meter and the events the meters pushed.
 *
 * <p>The counters are kept in memory and written in the transaction that stores what the notification brought
 * (its reading, by {@link ReadingStore#writeAlso}, or its event), never later: after a restart a replay of a
 * notification whose reading was stored is refused, and only one whose reading was lost with the process (kill
 * -9 before its batch committed) is accepted again, which stores it once. Why not a durable write per
 * notification: under one lock it was the push listener's limit (~540 notifications/s on H2, a CHECKPOINT each).
 */
public final class PushStore implements PushReceiver.Counters, ReadingStore.AlsoWritten {

  /** One event a meter pushed. */
  public record PushedEvent(String meterId, Instant receivedAt, Instant meterTime, String event,
      Boolean relayConnected, long invocationCounter) {}

  private final Database db;
  /** The last counter accepted per meter, loaded from the database on first use. */
  private final java.util.Map<String, Long> last = new java.util.concurrent.ConcurrentHashMap<>();
  /** Counters accepted and not yet written: written with the next reading batch or event. */
  private final java.util.Map<String, Long> unwritten = new java.util.concurrent.ConcurrentHashMap<>();

  public PushStore(Database db) {
    this.db = db;
  }

  @Override
  public long lastAccepted(String meterId) {
    return last.computeIfAbsent(meterId, this::stored);
  }

  private long stored(String meterId) {
    try (Connection c = db.connection();
        PreparedStatement ps = c.prepareStatement("SELECT last_counter FROM push_counter WHERE meter_id = ?")) {
      ps.setString(1, meterId);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? rs.getLong(1) : -1;
      }
    } catch (SQLException e) {
      throw new IllegalStateException("reading the push counter of " + meterId + ": " + e.getMessage(), e);
    }
  }

  /**
   * The meter's keys changed: its counter is read from the database again. When the key store reset it (new keys
   * confirmed: counters are per key), counters accepted under the old keys are not written any more either.
   */
  public void keysChanged(String meterId) {
    last.remove(meterId);
    if (stored(meterId) == -1) {
      unwritten.remove(meterId);
    }
  }

  /** Called before what the notification brought is handed on (to be stored): see the class comment. */
  @Override
  public void accepted(String meterId, long counter) {
    last.merge(meterId, counter, Math::max);
    unwritten.merge(meterId, counter, Math::max);
  }

  /** The counters accepted since the last write, into {@code c}'s transaction; see {@link #committed}. */
  @Override
  public Object write(Connection c) throws SQLException {
    if (unwritten.isEmpty()) {
      return null;
    }
    java.util.Map<String, Long> batch = new java.util.HashMap<>(unwritten);
    if (db.shared()) {
      // several instances share PostgreSQL: an upsert, so that a race on a new meter's row never fails the batch
      try (PreparedStatement u = c.prepareStatement("INSERT INTO push_counter (meter_id, last_counter) VALUES (?, ?)"
          + " ON CONFLICT (meter_id) DO UPDATE SET last_counter = GREATEST(push_counter.last_counter,"
          + " EXCLUDED.last_counter)")) {
        for (java.util.Map.Entry<String, Long> e : batch.entrySet()) {
          u.setString(1, e.getKey());
          u.setLong(2, e.getValue());
          u.addBatch();
        }
        u.executeBatch();
      }
      return batch;
    }
    List<String> missing = new ArrayList<>(); // H2: one writer at a time, no race between the two statements
    try (PreparedStatement u = c.prepareStatement(
        "UPDATE push_counter SET last_counter = GREATEST(last_counter, ?) WHERE meter_id = ?")) {
      for (java.util.Map.Entry<String, Long> e : batch.entrySet()) {
        u.setLong(1, e.getValue());
        u.setString(2, e.getKey());
        if (u.executeUpdate() == 0) {
          missing.add(e.getKey());
        }
      }
    }
    if (!missing.isEmpty()) {
      try (PreparedStatement i = c.prepareStatement(
          "INSERT INTO push_counter (meter_id, last_counter) VALUES (?, ?)")) {
        for (String id : missing) {
          i.setString(1, id);
          i.setLong(2, batch.get(id));
          i.addBatch();
        }
        i.executeBatch();
      }
    }
    return batch;
  }

  /** The transaction of {@link #write} committed: what it wrote is no longer unwritten (unless accepted again). */
  @Override
  public void committed(Object written) {
    if (written instanceof java.util.Map<?, ?> batch) {
      batch.forEach((id, counter) -> unwritten.remove(id, counter));
    }
  }

  public void addEvent(PushedEvent e) {
    try {
      Object written = db.inWriteTransaction(c -> {
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO push_event (meter_id, received_at, meter_time,"
            + " event, relay_connected, invocation_counter) VALUES (?, ?, ?, ?, ?, ?)")) {
          ps.setString(1, e.meterId());
          ps.setObject(2, Database.toDb(e.receivedAt()));
          ps.setObject(3, Database.toDb(e.meterTime()));
          ps.setString(4, e.event());
          if (e.relayConnected() == null) {
            ps.setNull(5, java.sql.Types.BOOLEAN);
          } else {
            ps.setBoolean(5, e.relayConnected());
          }
          ps.setLong(6, e.invocationCounter());
          ps.executeUpdate();
        }
        return write(c);
      });
      committed(written);
    } catch (SQLException ex) {
      throw new IllegalStateException("storing a pushed event of " + e.meterId() + ": " + ex.getMessage(), ex);
    }
  }

  /** Pushed events of one meter received in [from, to), oldest first, at most {@code limit} (the newest). */
  public List<PushedEvent> events(String meterId, Instant from, Instant to, int limit) {
    String sql = "SELECT * FROM (SELECT received_at, meter_time, event, relay_connected, invocation_counter, id"
        + " FROM push_event WHERE meter_id = ? AND received_at >= ? AND received_at < ? ORDER BY id DESC LIMIT ?) e"
        + " ORDER BY id";
    List<PushedEvent> result = new ArrayList<>();
    try (Connection c = db.connection();
        PreparedStatement ps = c.prepareStatement(sql)) {
      ps.setString(1, meterId);
      ps.setObject(2, Database.toDb(from));
      ps.setObject(3, Database.toDb(to));
      ps.setInt(4, limit);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          boolean relay = rs.getBoolean("relay_connected");
          Boolean relayConnected = rs.wasNull() ? null : relay;
          result.add(new PushedEvent(meterId, Database.fromDb(rs, "received_at"), Database.fromDb(rs, "meter_time"),
              rs.getString("event"), relayConnected, rs.getLong("invocation_counter")));
        }
      }
    } catch (SQLException e) {
      throw new IllegalStateException("reading pushed events of " + meterId + ": " + e.getMessage(), e);
    }
    return result;
  }
}
