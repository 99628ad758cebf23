package org.s3mp.headend.commands;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.s3mp.headend.storage.Database;

/**
 * The audit log. A command is written as {@code pending} before it is sent to the meter and finished with its
 * result afterwards, so a head-end that dies mid-command leaves a visible trace.
 */
public final class AuditLog {

  private final Database db;

  public AuditLog(Database db) {
    this.db = db;
  }

  public long begin(String actor, String action, String meterId, String argument) {
    try (Connection c = db.writeConnection();
        PreparedStatement ps = c.prepareStatement(
            "INSERT INTO audit_log (requested_at, actor, action, meter_id, argument, result) VALUES (?, ?, ?, ?, ?, 'pending')",
            Statement.RETURN_GENERATED_KEYS)) {
      ps.setObject(1, Database.toDb(Instant.now()));
      ps.setString(2, actor);
      ps.setString(3, action);
      ps.setString(4, meterId);
      ps.setString(5, truncate(argument, 1024));
      ps.executeUpdate();
      db.makeDurable(c);
      try (ResultSet keys = ps.getGeneratedKeys()) {
        keys.next();
        return keys.getLong(1);
      }
    } catch (SQLException e) {
      throw new IllegalStateException("writing the audit log: " + e.getMessage(), e);
    }
  }

  public void finish(long id, boolean ok, String detail) {
    try (Connection c = db.writeConnection();
        PreparedStatement ps = c.prepareStatement(
            "UPDATE audit_log SET finished_at = ?, result = ?, detail = ? WHERE id = ?")) {
      ps.setObject(1, Database.toDb(Instant.now()));
      ps.setString(2, ok ? "ok" : "failed");
      ps.setString(3, truncate(detail, 2048));
      ps.setLong(4, id);
      ps.executeUpdate();
      db.makeDurable(c);
    } catch (SQLException e) {
      throw new IllegalStateException("writing the audit log: " + e.getMessage(), e);
    }
  }

  /** A finished action in one step (meter added, continuous reading switched, ...). */
  public long record(String actor, String action, String meterId, String argument, boolean ok, String detail) {
    long id = begin(actor, action, meterId, argument);
    finish(id, ok, detail);
    return id;
  }

  /** The newest entries first. */
  public List<AuditEntry> newest(int limit) {
    List<AuditEntry> result = new ArrayList<>();
    try (Connection c = db.connection();
        PreparedStatement ps = c.prepareStatement("SELECT * FROM audit_log ORDER BY id DESC LIMIT ?")) {
      ps.setInt(1, limit);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          result.add(new AuditEntry(rs.getLong("id"), Database.fromDb(rs, "requested_at"), Database.fromDb(rs, "finished_at"),
              rs.getString("actor"), rs.getString("action"), rs.getString("meter_id"), rs.getString("argument"),
              rs.getString("result"), rs.getString("detail")));
        }
      }
    } catch (SQLException e) {
      throw new IllegalStateException("reading the audit log: " + e.getMessage(), e);
    }
    return result;
  }

  private static String truncate(String s, int max) {
    return s == null || s.length() <= max ? s : s.substring(0, max);
  }
}
