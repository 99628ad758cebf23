package org.s3mp.headend.storage;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The compact readings of schema 18: a reading row holds its register values as one numeric array
 * ({@code reading.register_values}) and the id of its register set ({@code reading.register_set_id}): which
 * OBIS code and unit each array element is. A meter reads the same registers every time, so a fleet has a
 * handful of sets, each stored once ({@code register_set}, {@code register_set_entry}) and cached here.
 *
 * <p>A set lists its registers ordered by OBIS code, the order in which readings were always returned.
 */
final class RegisterSets {

  /** One register of a set: what the array element at its index is. */
  record Register(String obis, String unit) {}

  private final Database db;
  private final Map<String, Long> idByDigest = new ConcurrentHashMap<>();
  private final Map<Long, List<Register>> byId = new ConcurrentHashMap<>();

  RegisterSets(Database db) {
    this.db = db;
  }

  /** The id of a set, stored first (in a transaction of its own) if it is new. */
  long idFor(List<Register> set) throws SQLException {
    String digest = digest(set);
    Long cached = idByDigest.get(digest);
    if (cached != null) {
      return cached;
    }
    long id = StoredOnce.idFor(db, digest, RegisterSets::find, c -> insert(c, set, digest));
    idByDigest.put(digest, id);
    byId.put(id, List.copyOf(set));
    return id;
  }

  /** A stored set; an unknown id is a broken database. */
  List<Register> byId(long id) throws SQLException {
    List<Register> set = byId.get(id);
    if (set != null) {
      return set;
    }
    try (Connection c = db.connection()) {
      set = load(c, id);
    }
    if (set.isEmpty()) {
      throw new SQLException("register set " + id + " is not stored");
    }
    byId.put(id, set);
    return set;
  }

  // --- shared with the migration that made the readings compact (V18) ---

  /** Finds or inserts a set on {@code c}, in the caller's transaction. */
  static long idFor(Connection c, List<Register> set, String digest) throws SQLException {
    Long existing = find(c, digest);
    return existing != null ? existing : insert(c, set, digest);
  }

  private static long insert(Connection c, List<Register> set, String digest) throws SQLException {
    long id;
    try (PreparedStatement ps = c.prepareStatement("INSERT INTO register_set (digest) VALUES (?)",
        new String[] {"id"})) {
      ps.setString(1, digest);
      ps.executeUpdate();
      try (ResultSet keys = ps.getGeneratedKeys()) {
        keys.next();
        id = keys.getLong(1);
      }
    }
    try (PreparedStatement ps = c.prepareStatement(
        "INSERT INTO register_set_entry (set_id, entry_index, obis, unit_symbol) VALUES (?, ?, ?, ?)")) {
      for (int i = 0; i < set.size(); i++) {
        ps.setLong(1, id);
        ps.setInt(2, i);
        ps.setString(3, set.get(i).obis());
        ps.setString(4, set.get(i).unit());
        ps.addBatch();
      }
      ps.executeBatch();
    }
    return id;
  }

  static Long find(Connection c, String digest) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("SELECT id FROM register_set WHERE digest = ?")) {
      ps.setString(1, digest);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? rs.getLong(1) : null;
      }
    }
  }

  private static List<Register> load(Connection c, long id) throws SQLException {
    List<Register> set = new ArrayList<>();
    try (PreparedStatement ps = c.prepareStatement(
        "SELECT obis, unit_symbol FROM register_set_entry WHERE set_id = ? ORDER BY entry_index")) {
      ps.setLong(1, id);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          set.add(new Register(rs.getString(1), rs.getString(2)));
        }
      }
    }
    return List.copyOf(set);
  }

  static String digest(List<Register> set) {
    StringBuilder sb = new StringBuilder();
    for (Register r : set) {
      // the unit may be null; "\0" cannot be part of a unit symbol
      sb.append(r.obis()).append('\t').append(r.unit() == null ? "\0" : r.unit()).append('\n');
    }
    return StoredOnce.sha256(sb.toString());
  }
}
