package org.s3mp.headend.fleet;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.s3mp.headend.storage.Database;

/** The meters the head-end knows, stored in its database (from the config file and the API). */
public final class FleetRegistry {

  private static final String INSERT = "INSERT INTO meter (id, url, keys_file, policy, drkey, poll_seconds, profile,"
      + " continuous, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, FALSE, ?)";

  private final Database db;

  public FleetRegistry(Database db) {
    this.db = db;
  }

  /** Adds a meter; false when one with that id already exists. */
  public boolean add(MeterSpec spec) {
    spec.validated();
    try (Connection c = db.writeConnection();
        PreparedStatement ps = c.prepareStatement(INSERT)) {
      if (find(c, spec.id()).isPresent()) {
        return false;
      }
      bind(ps, spec);
      ps.setObject(8, Database.toDb(Instant.now()));
      ps.executeUpdate();
      db.makeDurable(c);
      return true;
    } catch (SQLException e) {
      if ("23505".equals(e.getSQLState())) {
        return false; // added at the same moment by another head-end instance on the shared database
      }
      throw new IllegalStateException("storing meter " + spec.id() + ": " + e.getMessage(), e);
    }
  }

  /** Adds or replaces a meter's settings (config file entries win over earlier state); keeps its continuous flag. */
  public void put(MeterSpec spec) {
    putAll(List.of(spec));
  }

  /**
   * {@link #put} of many meters in one transaction: a config file of thousands of meters costs one durable commit,
   * not one per meter (5,000 took a minute on H2).
   */
  public void putAll(List<MeterSpec> specs) {
    specs.forEach(MeterSpec::validated);
    try {
      try {
        db.inWriteTransaction(c -> upsert(c, specs));
      } catch (SQLException e) {
        if (!"23505".equals(e.getSQLState())) {
          throw e;
        }
        // another head-end instance added some of them at the same moment: they exist now, so this updates them
        db.inWriteTransaction(c -> upsert(c, specs));
      }
    } catch (SQLException e) {
      throw new IllegalStateException("storing " + (specs.size() == 1 ? "meter " + specs.get(0).id()
          : specs.size() + " meters") + ": " + e.getMessage(), e);
    }
  }

  private static Void upsert(Connection c, List<MeterSpec> specs) throws SQLException {
    Object now = Database.toDb(Instant.now());
    try (PreparedStatement update = c.prepareStatement("UPDATE meter SET url = ?, keys_file = ?, policy = ?,"
            + " drkey = ?, poll_seconds = ?, profile = ? WHERE id = ?");
        PreparedStatement insert = c.prepareStatement(INSERT)) {
      for (MeterSpec spec : specs) {
        update.setString(1, spec.url());
        update.setString(2, spec.keysFile());
        update.setString(3, spec.policy());
        update.setBoolean(4, spec.drkey());
        update.setInt(5, spec.pollSeconds());
        update.setBoolean(6, spec.profile());
        update.setString(7, spec.id());
        if (update.executeUpdate() == 0) {
          bind(insert, spec);
          insert.setObject(8, now);
          insert.executeUpdate();
        }
      }
    }
    return null;
  }

  public boolean remove(String id) {
    try (Connection c = db.writeConnection();
        PreparedStatement ps = c.prepareStatement("DELETE FROM meter WHERE id = ?")) {
      ps.setString(1, id);
      boolean removed = ps.executeUpdate() > 0;
      db.makeDurable(c);
      return removed;
    } catch (SQLException e) {
      throw new IllegalStateException("removing meter " + id + ": " + e.getMessage(), e);
    }
  }

  public Optional<MeterSpec> find(String id) {
    try (Connection c = db.connection()) {
      return find(c, id);
    } catch (SQLException e) {
      throw new IllegalStateException("reading meter " + id + ": " + e.getMessage(), e);
    }
  }

  public List<MeterSpec> all() {
    List<MeterSpec> result = new ArrayList<>();
    try (Connection c = db.connection();
        PreparedStatement ps = c.prepareStatement("SELECT * FROM meter ORDER BY id");
        ResultSet rs = ps.executeQuery()) {
      while (rs.next()) {
        result.add(spec(rs));
      }
      return result;
    } catch (SQLException e) {
      throw new IllegalStateException("listing meters: " + e.getMessage(), e);
    }
  }

  /** Whether continuous (1 s) reading was on, so that a restarted head-end resumes it. */
  public boolean continuous(String id) {
    try (Connection c = db.connection();
        PreparedStatement ps = c.prepareStatement("SELECT continuous FROM meter WHERE id = ?")) {
      ps.setString(1, id);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() && rs.getBoolean(1);
      }
    } catch (SQLException e) {
      throw new IllegalStateException("reading meter " + id + ": " + e.getMessage(), e);
    }
  }

  /** Every meter's continuous flag, by id (one query, for the lease renewal of a large fleet). */
  public java.util.Map<String, Boolean> continuousFlags() {
    java.util.Map<String, Boolean> result = new java.util.HashMap<>();
    try (Connection c = db.connection();
        PreparedStatement ps = c.prepareStatement("SELECT id, continuous FROM meter");
        ResultSet rs = ps.executeQuery()) {
      while (rs.next()) {
        result.put(rs.getString(1), rs.getBoolean(2));
      }
      return result;
    } catch (SQLException e) {
      throw new IllegalStateException("listing meters: " + e.getMessage(), e);
    }
  }

  public void setContinuous(String id, boolean enabled) {
    try (Connection c = db.writeConnection();
        PreparedStatement ps = c.prepareStatement("UPDATE meter SET continuous = ? WHERE id = ?")) {
      ps.setBoolean(1, enabled);
      ps.setString(2, id);
      ps.executeUpdate();
      db.makeDurable(c);
    } catch (SQLException e) {
      throw new IllegalStateException("updating meter " + id + ": " + e.getMessage(), e);
    }
  }

  private static Optional<MeterSpec> find(Connection c, String id) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("SELECT * FROM meter WHERE id = ?")) {
      ps.setString(1, id);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? Optional.of(spec(rs)) : Optional.empty();
      }
    }
  }

  private static void bind(PreparedStatement ps, MeterSpec spec) throws SQLException {
    ps.setString(1, spec.id());
    ps.setString(2, spec.url());
    ps.setString(3, spec.keysFile());
    ps.setString(4, spec.policy());
    ps.setBoolean(5, spec.drkey());
    ps.setInt(6, spec.pollSeconds());
    ps.setBoolean(7, spec.profile());
  }

  private static MeterSpec spec(ResultSet rs) throws SQLException {
    return new MeterSpec(
        rs.getString("id"),
        rs.getString("url"),
        rs.getString("keys_file"),
        rs.getString("policy"),
        rs.getBoolean("drkey"),
        rs.getInt("poll_seconds"),
        rs.getBoolean("profile"));
  }
}
