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
 * What the push listener keeps: the last invocation counter accepted per meter (durable before the notification
 * counts as accepted, so a replay stays refused after a restart) and the events the meters pushed.
 */
public final class PushStore implements PushReceiver.Counters {

  /** One event a meter pushed. */
  public record PushedEvent(String meterId, Instant receivedAt, Instant meterTime, String event,
      Boolean relayConnected, long invocationCounter) {}

  private final Database db;

  public PushStore(Database db) {
    this.db = db;
  }

  @Override
  public long lastAccepted(String meterId) {
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

  @Override
  public void accepted(String meterId, long counter) {
    try {
      db.inWriteTransaction(c -> {
        try (PreparedStatement u = c.prepareStatement("UPDATE push_counter SET last_counter = ? WHERE meter_id = ?")) {
          u.setLong(1, counter);
          u.setString(2, meterId);
          if (u.executeUpdate() == 0) {
            try (PreparedStatement i = c.prepareStatement(
                "INSERT INTO push_counter (meter_id, last_counter) VALUES (?, ?)")) {
              i.setString(1, meterId);
              i.setLong(2, counter);
              i.executeUpdate();
            }
          }
        }
        return null;
      });
    } catch (SQLException e) {
      throw new IllegalStateException("storing the push counter of " + meterId + ": " + e.getMessage(), e);
    }
  }

  public void addEvent(PushedEvent e) {
    try (Connection c = db.writeConnection();
        PreparedStatement ps = c.prepareStatement("INSERT INTO push_event (meter_id, received_at, meter_time, event,"
            + " relay_connected, invocation_counter) VALUES (?, ?, ?, ?, ?, ?)")) {
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
      db.makeDurable(c);
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
