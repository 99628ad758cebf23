package org.s3mp.headend.storage;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.s3mp.headend.fleet.ProfileEntry;
import org.s3mp.headend.fleet.RegisterValue;

/** Load-profile intervals collected from the meters; storing an interval twice keeps one copy. */
public final class ProfileStore {

  private final Database db;

  public ProfileStore(Database db) {
    this.db = db;
  }

  /** Stores the entries not yet stored (by meter, capture time and OBIS); returns how many values were new. */
  public int store(String meterId, List<ProfileEntry> entries) {
    String sql = "MERGE INTO profile_value t USING (VALUES (CAST(? AS VARCHAR(64)), CAST(? AS TIMESTAMP WITH TIME ZONE),"
        + " CAST(? AS VARCHAR(32)), CAST(? AS NUMERIC(30, 9)), CAST(? AS VARCHAR(16))))"
        + " AS s (meter_id, captured_at, obis, scaled_value, unit_symbol)"
        + " ON t.meter_id = s.meter_id AND t.captured_at = s.captured_at AND t.obis = s.obis"
        + " WHEN NOT MATCHED THEN INSERT (meter_id, captured_at, obis, scaled_value, unit_symbol)"
        + " VALUES (s.meter_id, s.captured_at, s.obis, s.scaled_value, s.unit_symbol)";
    try {
      return db.inWriteTransaction(c -> {
        int added = 0;
        try (PreparedStatement ps = c.prepareStatement(sql)) {
          for (ProfileEntry entry : entries) {
            for (RegisterValue v : entry.values()) {
              ps.setString(1, meterId);
              ps.setObject(2, Database.toDb(entry.capturedAt()));
              ps.setString(3, v.obis());
              ps.setBigDecimal(4, v.value());
              ps.setString(5, v.unit());
              added += ps.executeUpdate();
            }
          }
        }
        return added;
      });
    } catch (SQLException e) {
      throw new IllegalStateException("storing the profile of " + meterId + ": " + e.getMessage(), e);
    }
  }

  /** The capture time of the newest stored interval: collection resumes after it. */
  public Optional<Instant> newest(String meterId) {
    try (Connection c = db.connection();
        PreparedStatement ps = c.prepareStatement("SELECT MAX(captured_at) AS newest FROM profile_value WHERE meter_id = ?")) {
      ps.setString(1, meterId);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? Optional.ofNullable(Database.fromDb(rs, "newest")) : Optional.empty();
      }
    } catch (SQLException e) {
      throw new IllegalStateException("reading the profile of " + meterId + ": " + e.getMessage(), e);
    }
  }

  /** Intervals in [from, to), oldest first. */
  public List<ProfileEntry> between(String meterId, Instant from, Instant to, int limit) {
    Map<Instant, List<RegisterValue>> byTime = new LinkedHashMap<>();
    try (Connection c = db.connection();
        PreparedStatement ps = c.prepareStatement(
            "SELECT captured_at, obis, scaled_value, unit_symbol FROM profile_value"
                + " WHERE meter_id = ? AND captured_at >= ? AND captured_at < ? ORDER BY captured_at, obis")) {
      ps.setString(1, meterId);
      ps.setObject(2, Database.toDb(from));
      ps.setObject(3, Database.toDb(to));
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          Instant at = Database.fromDb(rs, "captured_at");
          if (!byTime.containsKey(at) && byTime.size() >= limit) {
            break;
          }
          byTime.computeIfAbsent(at, t -> new ArrayList<>())
              .add(new RegisterValue(rs.getString("obis"), plain(rs.getBigDecimal("scaled_value")), rs.getString("unit_symbol")));
        }
      }
    } catch (SQLException e) {
      throw new IllegalStateException("reading the profile of " + meterId + ": " + e.getMessage(), e);
    }
    List<ProfileEntry> result = new ArrayList<>();
    byTime.forEach((t, values) -> result.add(new ProfileEntry(t, List.copyOf(values))));
    return result;
  }

  private static java.math.BigDecimal plain(java.math.BigDecimal v) {
    return v == null ? null : v.stripTrailingZeros();
  }
}
