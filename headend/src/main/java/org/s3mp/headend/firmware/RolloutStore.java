package org.s3mp.headend.firmware;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Optional;
import java.util.function.Predicate;
import org.s3mp.headend.storage.Database;

/** Rollouts and their meters' progress in the database (V16), shared by every head-end instance. */
final class RolloutStore {

  /** A rollout's row. */
  record Row(long id, String imageId, String firmwareId, int concurrency, Instant activateAt, RolloutState state,
      String createdBy, Instant createdAt, Instant updatedAt) {}

  /** A meter's row. */
  record MeterRow(long rolloutId, String meterId, MeterState state, long bytesDone, long bytesTotal,
      String firmwareId, String reason, String instance, Long auditId, Instant startedAt, Instant finishedAt,
      Instant updatedAt) {}

  private final Database db;

  RolloutStore(Database db) {
    this.db = db;
  }

  long create(String imageId, String firmwareId, int concurrency, Instant activateAt, String actor,
      List<String> meters, long bytesTotal) {
    Instant now = Instant.now();
    try {
      return db.inWriteTransaction(c -> {
        long id;
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO firmware_rollout (image_id, firmware_id,"
            + " concurrency, activate_at, state, created_by, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            new String[] {"id"})) {
          ps.setString(1, imageId);
          ps.setString(2, firmwareId);
          ps.setInt(3, concurrency);
          ps.setObject(4, activateAt == null ? null : Database.toDb(activateAt));
          ps.setString(5, RolloutState.RUNNING.apiName());
          ps.setString(6, actor);
          ps.setObject(7, Database.toDb(now));
          ps.setObject(8, Database.toDb(now));
          ps.executeUpdate();
          try (ResultSet keys = ps.getGeneratedKeys()) {
            keys.next();
            id = keys.getLong(1);
          }
        }
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO firmware_rollout_meter (rollout_id, position,"
            + " meter_id, state, bytes_done, bytes_total, updated_at) VALUES (?, ?, ?, ?, 0, ?, ?)")) {
          int position = 0;
          for (String m : meters) {
            ps.setLong(1, id);
            ps.setInt(2, position++);
            ps.setString(3, m);
            ps.setString(4, MeterState.PENDING.apiName());
            ps.setLong(5, bytesTotal);
            ps.setObject(6, Database.toDb(now));
            ps.addBatch();
          }
          ps.executeBatch();
        }
        return id;
      });
    } catch (SQLException e) {
      throw new IllegalStateException("storing the rollout: " + e.getMessage(), e);
    }
  }

  List<Row> all() {
    return query("SELECT * FROM firmware_rollout ORDER BY id DESC", ps -> { }, RolloutStore::row);
  }

  /** The rollouts whose meters may still change (running or paused; running ones are checked for done). */
  List<Row> open() {
    return query("SELECT * FROM firmware_rollout WHERE state IN ('running', 'paused') ORDER BY id", ps -> { },
        RolloutStore::row);
  }

  Optional<Row> find(long id) {
    return query("SELECT * FROM firmware_rollout WHERE id = ?", ps -> ps.setLong(1, id), RolloutStore::row)
        .stream().findFirst();
  }

  List<MeterRow> meters(long rolloutId) {
    return query("SELECT * FROM firmware_rollout_meter WHERE rollout_id = ? ORDER BY position",
        ps -> ps.setLong(1, rolloutId), RolloutStore::meterRow);
  }

  /**
   * Applies a transition to the rollout's state under its row lock; {@code alsoPending}: the meters still
   * pending get that state too (cancel). Returns the new state.
   */
  RolloutState transition(long id, java.util.function.UnaryOperator<RolloutState> rule, MeterState alsoPending) {
    try {
      return db.inWriteTransaction(c -> {
        RolloutState now = rule.apply(lockedState(c, id));
        Instant at = Instant.now();
        try (PreparedStatement ps = c.prepareStatement(
            "UPDATE firmware_rollout SET state = ?, updated_at = ? WHERE id = ?")) {
          ps.setString(1, now.apiName());
          ps.setObject(2, Database.toDb(at));
          ps.setLong(3, id);
          ps.executeUpdate();
        }
        if (alsoPending != null) {
          try (PreparedStatement ps = c.prepareStatement("UPDATE firmware_rollout_meter SET state = ?,"
              + " finished_at = ?, updated_at = ? WHERE rollout_id = ? AND state = 'pending'")) {
            ps.setString(1, alsoPending.apiName());
            ps.setObject(2, Database.toDb(at));
            ps.setObject(3, Database.toDb(at));
            ps.setLong(4, id);
            ps.executeUpdate();
          }
        }
        return now;
      });
    } catch (SQLException e) {
      throw new IllegalStateException("updating the rollout: " + e.getMessage(), e);
    }
  }

  /**
   * Claims the meters to start now (pending to transferring, for {@code instance}) under the rollout's row lock,
   * so that the concurrency holds however many instances claim at once; settles a running rollout whose meters
   * are all finished to done.
   */
  List<String> claim(long id, String instance, Predicate<String> heldHere) {
    try {
      // a claim that changed nothing need not be made durable
      return db.inWriteTransaction(c -> {
        RolloutState state = lockedState(c, id);
        int concurrency;
        try (PreparedStatement ps = c.prepareStatement("SELECT concurrency FROM firmware_rollout WHERE id = ?")) {
          ps.setLong(1, id);
          try (ResultSet rs = ps.executeQuery()) {
            rs.next();
            concurrency = rs.getInt(1);
          }
        }
        List<RolloutPlan.Entry> entries = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement(
            "SELECT meter_id, state FROM firmware_rollout_meter WHERE rollout_id = ? ORDER BY position")) {
          ps.setLong(1, id);
          try (ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
              entries.add(new RolloutPlan.Entry(rs.getString(1), MeterState.parse(rs.getString(2))));
            }
          }
        }
        Instant at = Instant.now();
        List<String> start = RolloutPlan.toStart(state, concurrency, entries, heldHere);
        try (PreparedStatement ps = c.prepareStatement("UPDATE firmware_rollout_meter SET state = 'transferring',"
            + " instance = ?, bytes_done = 0, reason = NULL, started_at = ?, updated_at = ?"
            + " WHERE rollout_id = ? AND meter_id = ? AND state = 'pending'")) {
          for (String m : start) {
            ps.setString(1, instance);
            ps.setObject(2, Database.toDb(at));
            ps.setObject(3, Database.toDb(at));
            ps.setLong(4, id);
            ps.setString(5, m);
            ps.executeUpdate();
          }
        }
        RolloutState settled = RolloutPlan.settle(state, entries);
        if (settled != state) {
          try (PreparedStatement ps = c.prepareStatement(
              "UPDATE firmware_rollout SET state = ?, updated_at = ? WHERE id = ?")) {
            ps.setString(1, settled.apiName());
            ps.setObject(2, Database.toDb(at));
            ps.setLong(3, id);
            ps.executeUpdate();
          }
        }
        return new Claimed(start, !start.isEmpty() || settled != state);
      }, Claimed::changed).start();
    } catch (SQLException e) {
      throw new IllegalStateException("claiming rollout meters: " + e.getMessage(), e);
    }
  }

  /** What a claim started, and whether it wrote anything. */
  private record Claimed(List<String> start, boolean changed) {}

  /**
   * Records a meter's progress: its state, bytes sent, the firmware id it reported, why it failed; the state
   * change must be one {@link MeterState#mayBecome} allows from the stored one (else nothing is written and false
   * returned: e.g. the rollout was cancelled meanwhile).
   */
  boolean update(long id, String meterId, MeterState next, long bytesDone, String firmwareId, String reason,
      Long auditId, boolean durable) {
    try (Connection c = db.writeConnection()) {
      MeterState stored;
      try (PreparedStatement ps = c.prepareStatement(
          "SELECT state FROM firmware_rollout_meter WHERE rollout_id = ? AND meter_id = ?")) {
        ps.setLong(1, id);
        ps.setString(2, meterId);
        try (ResultSet rs = ps.executeQuery()) {
          if (!rs.next()) {
            return false;
          }
          stored = MeterState.parse(rs.getString(1));
        }
      }
      if (stored != next && !stored.mayBecome(next)) {
        return false;
      }
      Instant at = Instant.now();
      try (PreparedStatement ps = c.prepareStatement("UPDATE firmware_rollout_meter SET state = ?, bytes_done = ?,"
          + " firmware_id = COALESCE(?, firmware_id), reason = ?, audit_id = COALESCE(?, audit_id),"
          + " finished_at = ?, updated_at = ?, instance = CASE WHEN ? THEN NULL ELSE instance END"
          + " WHERE rollout_id = ? AND meter_id = ? AND state = ?")) {
        ps.setString(1, next.apiName());
        ps.setLong(2, bytesDone);
        ps.setString(3, firmwareId);
        ps.setString(4, reason == null ? null : reason.length() > 2048 ? reason.substring(0, 2048) : reason);
        ps.setObject(5, auditId);
        ps.setObject(6, next.finished() ? Database.toDb(at) : null);
        ps.setObject(7, Database.toDb(at));
        ps.setBoolean(8, next == MeterState.PENDING);
        ps.setLong(9, id);
        ps.setString(10, meterId);
        ps.setString(11, stored.apiName());
        boolean done = ps.executeUpdate() == 1;
        if (durable) {
          db.makeDurable(c);
        }
        return done;
      }
    } catch (SQLException e) {
      throw new IllegalStateException("updating rollout progress: " + e.getMessage(), e);
    }
  }

  /**
   * Meters left in flight by a head-end that stopped: those claimed by {@code instance} (itself, restarted),
   * every one when the database is not shared (only one instance), and those whose claim has not been renewed
   * since {@code staleBefore} (their instance died). They become pending again: the transfer starts again.
   */
  List<MeterRow> orphaned(String instance, Instant staleBefore) {
    return query("SELECT * FROM firmware_rollout_meter WHERE state IN ('transferring', 'verifying', 'activating')"
        + " AND (instance = ? OR ? OR updated_at < ?)", ps -> {
          ps.setString(1, instance);
          ps.setBoolean(2, !db.shared());
          ps.setObject(3, Database.toDb(staleBefore));
        }, RolloutStore::meterRow);
  }

  /** The meters waiting for their scheduled activation. */
  List<MeterRow> scheduled() {
    return query("SELECT * FROM firmware_rollout_meter WHERE state = 'scheduled'", ps -> { },
        RolloutStore::meterRow);
  }

  private static RolloutState lockedState(Connection c, long id) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("SELECT state FROM firmware_rollout WHERE id = ? FOR UPDATE")) {
      ps.setLong(1, id);
      try (ResultSet rs = ps.executeQuery()) {
        if (!rs.next()) {
          throw new NoSuchElementException("no rollout " + id);
        }
        return RolloutState.parse(rs.getString(1));
      }
    }
  }

  private interface Binder {
    void bind(PreparedStatement ps) throws SQLException;
  }

  private interface Mapper<T> {
    T map(ResultSet rs) throws SQLException;
  }

  private <T> List<T> query(String sql, Binder binder, Mapper<T> mapper) {
    List<T> result = new ArrayList<>();
    try (Connection c = db.connection(); PreparedStatement ps = c.prepareStatement(sql)) {
      binder.bind(ps);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          result.add(mapper.map(rs));
        }
      }
    } catch (SQLException e) {
      throw new IllegalStateException("reading rollouts: " + e.getMessage(), e);
    }
    return result;
  }

  private static Row row(ResultSet rs) throws SQLException {
    return new Row(rs.getLong("id"), rs.getString("image_id"), rs.getString("firmware_id"), rs.getInt("concurrency"),
        Database.fromDb(rs, "activate_at"), RolloutState.parse(rs.getString("state")), rs.getString("created_by"),
        Database.fromDb(rs, "created_at"), Database.fromDb(rs, "updated_at"));
  }

  private static MeterRow meterRow(ResultSet rs) throws SQLException {
    Object audit = rs.getObject("audit_id");
    return new MeterRow(rs.getLong("rollout_id"), rs.getString("meter_id"), MeterState.parse(rs.getString("state")),
        rs.getLong("bytes_done"), rs.getLong("bytes_total"), rs.getString("firmware_id"), rs.getString("reason"),
        rs.getString("instance"), audit == null ? null : ((Number) audit).longValue(), Database.fromDb(rs, "started_at"),
        Database.fromDb(rs, "finished_at"), Database.fromDb(rs, "updated_at"));
  }

}
