package org.s3mp.headend.storage;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.s3mp.headend.fleet.NetworkPath;

/**
 * The distinct network paths readings took (table {@code network_path}, its hops in {@code network_path_hop}):
 * a reading refers to its path by id, so a path is stored once however many readings take it. Paths never
 * change once stored; both directions are cached.
 */
public final class PathStore {

  private final Database db;
  private final Map<String, Long> idByDigest = new ConcurrentHashMap<>();
  private final Map<Long, NetworkPath> byId = new ConcurrentHashMap<>();

  public PathStore(Database db) {
    this.db = db;
  }

  /** The id of a path, stored first (in a transaction of its own) if it is new. */
  long idFor(NetworkPath path) throws SQLException {
    String digest = digest(path);
    Long cached = idByDigest.get(digest);
    if (cached != null) {
      return cached;
    }
    long id = StoredOnce.idFor(db, digest, PathStore::find, c -> insert(c, path, digest));
    idByDigest.put(digest, id);
    byId.put(id, path);
    return id;
  }

  /** A stored path, or null for an unknown id. */
  public NetworkPath byId(long id) {
    NetworkPath p = byId.get(id);
    if (p != null) {
      return p;
    }
    try (Connection c = db.connection()) {
      p = load(c, id);
    } catch (SQLException e) {
      throw new IllegalStateException("reading network path " + id + ": " + e.getMessage(), e);
    }
    if (p != null) {
      byId.put(id, p);
    }
    return p;
  }

  /** Every stored path by id. */
  public Map<Long, NetworkPath> all() {
    List<Long> ids = new ArrayList<>();
    try (Connection c = db.connection();
        PreparedStatement ps = c.prepareStatement("SELECT id FROM network_path ORDER BY id");
        ResultSet rs = ps.executeQuery()) {
      while (rs.next()) {
        ids.add(rs.getLong(1));
      }
    } catch (SQLException e) {
      throw new IllegalStateException("listing network paths: " + e.getMessage(), e);
    }
    Map<Long, NetworkPath> out = new java.util.LinkedHashMap<>();
    for (long id : ids) {
      NetworkPath p = byId(id);
      if (p != null) {
        out.put(id, p);
      }
    }
    return out;
  }

  /**
   * A change of path between two consecutive readings of a meter that both took one.
   *
   * @param reason what the head-end recorded for it ({@link #recordChange}), null if nothing
   */
  public record Change(java.time.Instant at, long fromPath, long toPath, String reason) {}

  /** Why the meter's reading at {@code at} took another path than the one before (see {@link Change#reason()}). */
  public void recordChange(String meterId, java.time.Instant at, String reason) {
    try (Connection c = db.writeConnection();
        PreparedStatement ps = c.prepareStatement(
            "INSERT INTO path_change (meter_id, changed_at, reason) VALUES (?, ?, ?)")) {
      ps.setString(1, meterId);
      ps.setObject(2, Database.toDb(at));
      ps.setString(3, reason.length() <= 256 ? reason : reason.substring(0, 256));
      ps.executeUpdate();
      db.makeDurable(c);
    } catch (SQLException e) {
      throw new IllegalStateException("storing a path change of " + meterId + ": " + e.getMessage(), e);
    }
  }

  private Map<java.time.Instant, String> changeReasons(Connection c, String meterId, java.time.Instant from,
      java.time.Instant to) throws SQLException {
    Map<java.time.Instant, String> reasons = new java.util.HashMap<>();
    try (PreparedStatement ps = c.prepareStatement("SELECT changed_at, reason FROM path_change"
        + " WHERE meter_id = ? AND changed_at >= ? AND changed_at < ?")) {
      ps.setString(1, meterId);
      ps.setObject(2, Database.toDb(from));
      ps.setObject(3, Database.toDb(to));
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          reasons.put(Database.fromDb(rs, "changed_at"), rs.getString("reason"));
        }
      }
    }
    return reasons;
  }

  /**
   * Which paths a meter's readings in [from, to) took.
   *
   * @param readings all readings in the range
   * @param perPath readings per path id, in order of first use
   * @param changes every change of path, oldest first
   */
  public record History(long readings, Map<Long, Long> perPath, List<Change> changes) {}

  /** The paths of a meter's readings in [from, to), from the stored readings (one pass, two columns a row). */
  public History history(String meterId, java.time.Instant from, java.time.Instant to) {
    long readings = 0;
    Map<Long, Long> perPath = new java.util.LinkedHashMap<>();
    List<Change> changes = new ArrayList<>();
    Long previous = null;
    try (Connection c = db.connection();
        PreparedStatement ps = c.prepareStatement("SELECT read_at, path_id FROM reading"
            + " WHERE meter_id = ? AND read_at >= ? AND read_at < ? ORDER BY read_at")) {
      ps.setString(1, meterId);
      ps.setObject(2, Database.toDb(from));
      ps.setObject(3, Database.toDb(to));
      ps.setFetchSize(1000);
      Map<java.time.Instant, String> reasons = changeReasons(c, meterId, from, to);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          readings++;
          Long id = getLong(rs, "path_id");
          if (id == null) {
            continue;
          }
          perPath.merge(id, 1L, Long::sum);
          if (previous != null && !previous.equals(id)) {
            java.time.Instant at = Database.fromDb(rs, "read_at");
            changes.add(new Change(at, previous, id, reasons.get(at)));
          }
          previous = id;
        }
      }
    } catch (SQLException e) {
      throw new IllegalStateException("reading the path history of " + meterId + ": " + e.getMessage(), e);
    }
    return new History(readings, perPath, changes);
  }

  // --- shared with the migration that converted the text paths (V3) ---

  static Long find(Connection c, String digest) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("SELECT id FROM network_path WHERE digest = ?")) {
      ps.setString(1, digest);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? rs.getLong(1) : null;
      }
    }
  }

  static long insert(Connection c, NetworkPath path, String digest) throws SQLException {
    long id;
    try (PreparedStatement ps = c.prepareStatement(
        "INSERT INTO network_path (digest, notation, latency_ms) VALUES (?, ?, ?)", new String[] {"id"})) {
      ps.setString(1, digest);
      ps.setString(2, path.notation());
      setDouble(ps, 3, path.latencyMs());
      ps.executeUpdate();
      try (ResultSet keys = ps.getGeneratedKeys()) {
        if (!keys.next()) {
          throw new SQLException("no id generated for the new network path");
        }
        id = keys.getLong(1);
      }
    }
    try (PreparedStatement ps = c.prepareStatement("INSERT INTO network_path_hop (path_id, hop_index, isd_as, isd,"
        + " ingress, egress, country, internal_latency_ms, link_latency_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
      List<NetworkPath.Hop> hops = path.hops();
      for (int i = 0; i < hops.size(); i++) {
        NetworkPath.Hop h = hops.get(i);
        ps.setLong(1, id);
        ps.setInt(2, i);
        ps.setString(3, h.isdAs());
        ps.setInt(4, h.isd());
        setLong(ps, 5, h.ingress());
        setLong(ps, 6, h.egress());
        ps.setString(7, h.country());
        setDouble(ps, 8, h.internalLatencyMs());
        setDouble(ps, 9, h.linkLatencyMs());
        ps.addBatch();
      }
      ps.executeBatch();
    }
    return id;
  }

  private static NetworkPath load(Connection c, long id) throws SQLException {
    Double latency;
    try (PreparedStatement ps = c.prepareStatement("SELECT latency_ms FROM network_path WHERE id = ?")) {
      ps.setLong(1, id);
      try (ResultSet rs = ps.executeQuery()) {
        if (!rs.next()) {
          return null;
        }
        latency = getDouble(rs, "latency_ms");
      }
    }
    List<NetworkPath.Hop> hops = new ArrayList<>();
    try (PreparedStatement ps = c.prepareStatement("SELECT isd_as, isd, ingress, egress, country,"
        + " internal_latency_ms, link_latency_ms FROM network_path_hop WHERE path_id = ? ORDER BY hop_index")) {
      ps.setLong(1, id);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          hops.add(new NetworkPath.Hop(rs.getString("isd_as"), rs.getInt("isd"), getLong(rs, "ingress"),
              getLong(rs, "egress"), rs.getString("country"), getDouble(rs, "internal_latency_ms"),
              getDouble(rs, "link_latency_ms")));
        }
      }
    }
    return hops.isEmpty() ? null : new NetworkPath(hops, latency);
  }

  /** Identifies a path by everything stored about it (SHA-256 of a canonical text). */
  static String digest(NetworkPath p) {
    StringBuilder sb = new StringBuilder().append(p.latencyMs()).append('\n');
    for (NetworkPath.Hop h : p.hops()) {
      sb.append(h.isdAs()).append('|').append(h.ingress()).append('|').append(h.egress()).append('|')
          .append(h.country()).append('|').append(h.internalLatencyMs()).append('|').append(h.linkLatencyMs())
          .append('\n');
    }
    return StoredOnce.sha256(sb.toString());
  }

  private static void setLong(PreparedStatement ps, int i, Long v) throws SQLException {
    if (v == null) {
      ps.setNull(i, Types.BIGINT);
    } else {
      ps.setLong(i, v);
    }
  }

  private static void setDouble(PreparedStatement ps, int i, Double v) throws SQLException {
    if (v == null) {
      ps.setNull(i, Types.DOUBLE);
    } else {
      ps.setDouble(i, v);
    }
  }

  private static Long getLong(ResultSet rs, String column) throws SQLException {
    long v = rs.getLong(column);
    return rs.wasNull() ? null : v;
  }

  private static Double getDouble(ResultSet rs, String column) throws SQLException {
    double v = rs.getDouble(column);
    return rs.wasNull() ? null : v;
  }
}
