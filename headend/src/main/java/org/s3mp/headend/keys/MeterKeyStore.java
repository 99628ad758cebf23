package org.s3mp.headend.keys;

import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import org.s3mp.dlms.security.KeysFile;
import org.s3mp.headend.storage.Database;

/**
 * The static keys of meters whose keys the head-end rotated, and keys transferred but not confirmed yet, stored
 * encrypted under the {@link MasterKey} (table meter_keys). A meter without a row uses its keys file.
 */
public final class MeterKeyStore {

  private final Database db;
  private final MasterKey master;
  /** Changes whenever a meter's current keys change (caches such as the push listener's compare it). */
  private final java.util.concurrent.atomic.AtomicLong generation = new java.util.concurrent.atomic.AtomicLong();

  private MeterKeyStore(Database db, MasterKey master) {
    this.db = db;
    this.master = master;
  }

  /**
   * The store of {@code db}. Refuses (IllegalStateException with what to do) when it holds encrypted keys and no
   * master key is given, or when the master key does not decrypt them: the head-end would lose its meters.
   */
  public static MeterKeyStore open(Database db, Optional<MasterKey> master) {
    MeterKeyStore store = new MeterKeyStore(db, master.orElse(null));
    int stored = store.countEncrypted();
    if (stored > 0 && master.isEmpty()) {
      throw new IllegalStateException("the database holds the rotated keys of " + stored + " meter(s), encrypted"
          + " under a master key: give it in " + MasterKey.ENV + " (64 hex digits) or " + MasterKey.ENV_FILE);
    }
    if (stored > 0) {
      store.checkDecrypts();
    }
    return store;
  }

  private final List<java.util.function.Consumer<String>> listeners = new java.util.concurrent.CopyOnWriteArrayList<>();

  /**
   * Hears of every change of a meter's current keys (with its id), right after it is stored and before the
   * change returns: caches of the keys (the push listener's) take the new keys at once.
   */
  public void onChange(java.util.function.Consumer<String> listener) {
    listeners.add(listener);
  }

  private void changed(String meterId) {
    generation.incrementAndGet();
    for (java.util.function.Consumer<String> l : listeners) {
      try {
        l.accept(meterId);
      } catch (RuntimeException e) {
        org.slf4j.LoggerFactory.getLogger(MeterKeyStore.class).warn("meter {}: a listener of its new keys failed: {}",
            meterId, e.toString());
      }
    }
  }

  /** A number that changes whenever some meter's current keys change. */
  public long generation() {
    return generation.get();
  }

  /** Whether keys can be stored (rotated) at all. */
  public boolean hasMasterKey() {
    return master != null;
  }

  /**
   * A meter's keys as the head-end holds them after a rotation began.
   *
   * @param current the rotated keys in use, or null while they are still the meter's keys file
   * @param pending keys transferred (or about to be) and not confirmed yet, or null
   */
  public record Stored(KeysFile current, String currentId, Instant currentSince, KeysFile pending, String pendingId,
      Instant pendingSince) {}

  public Optional<Stored> find(String meterId) {
    try (Connection c = db.connection();
        PreparedStatement ps = c.prepareStatement("SELECT * FROM meter_keys WHERE meter_id = ?")) {
      ps.setString(1, meterId);
      try (ResultSet rs = ps.executeQuery()) {
        if (!rs.next()) {
          return Optional.empty();
        }
        return Optional.of(new Stored(
            decrypt(meterId, "current", rs.getString("current_keys")), rs.getString("current_id"),
            Database.fromDb(rs, "current_since"),
            decrypt(meterId, "pending", rs.getString("pending_keys")), rs.getString("pending_id"),
            Database.fromDb(rs, "pending_since")));
      }
    } catch (SQLException e) {
      throw new IllegalStateException("reading the keys of meter " + meterId + ": " + e.getMessage(), e);
    }
  }

  /** Stores {@code next} as the meter's pending keys (durably, before they are sent to the meter). */
  public void putPending(String meterId, KeysFile next) {
    requireMaster();
    String sealed = encrypt(meterId, "pending", next);
    try (Connection c = db.writeConnection()) {
      int updated;
      try (PreparedStatement ps = c.prepareStatement(
          "UPDATE meter_keys SET pending_keys = ?, pending_id = ?, pending_since = ? WHERE meter_id = ?")) {
        ps.setString(1, sealed);
        ps.setString(2, next.keyId());
        ps.setObject(3, Database.toDb(Instant.now()));
        ps.setString(4, meterId);
        updated = ps.executeUpdate();
      }
      if (updated == 0) {
        try (PreparedStatement ps = c.prepareStatement(
            "INSERT INTO meter_keys (meter_id, pending_keys, pending_id, pending_since) VALUES (?, ?, ?, ?)")) {
          ps.setString(1, meterId);
          ps.setString(2, sealed);
          ps.setString(3, next.keyId());
          ps.setObject(4, Database.toDb(Instant.now()));
          ps.executeUpdate();
        }
      }
      db.makeDurable(c);
    } catch (SQLException e) {
      throw new IllegalStateException("storing the new keys of meter " + meterId + ": " + e.getMessage(), e);
    }
  }

  /**
   * The meter confirmed {@code keys} (an association with them succeeded): they become its current keys and the
   * old ones are forgotten. Nothing happens when they are not the pending keys (already confirmed).
   */
  public void confirm(String meterId, KeysFile keys) {
    confirmStored(meterId, keys);
    changed(meterId);
  }

  private void confirmStored(String meterId, KeysFile keys) {
    requireMaster();
    String sealed = encrypt(meterId, "current", keys);
    try {
      db.inWriteTransaction(c -> {
        int confirmed;
        try (PreparedStatement ps = c.prepareStatement("UPDATE meter_keys SET current_keys = ?, current_id = ?,"
            + " current_since = ?, pending_keys = NULL, pending_id = NULL, pending_since = NULL"
            + " WHERE meter_id = ? AND pending_id = ?")) {
          ps.setString(1, sealed);
          ps.setString(2, keys.keyId());
          ps.setObject(3, Database.toDb(Instant.now()));
          ps.setString(4, meterId);
          ps.setString(5, keys.keyId());
          confirmed = ps.executeUpdate();
        }
        if (confirmed == 1) {
          // invocation counters are per key: the meter's pushes under the new keys count from its first use of
          // them (below the old keys' counter); frames under the old keys fail authentication from now on
          try (PreparedStatement ps = c.prepareStatement("DELETE FROM push_counter WHERE meter_id = ?")) {
            ps.setString(1, meterId);
            ps.executeUpdate();
          }
        }
        return null;
      });
    } catch (SQLException e) {
      throw new IllegalStateException("storing the confirmed keys of meter " + meterId + ": " + e.getMessage(), e);
    }
  }


  /** Forgets a meter's keys (the meter was removed from the fleet). */
  public void remove(String meterId) {
    try (Connection c = db.writeConnection();
        PreparedStatement ps = c.prepareStatement("DELETE FROM meter_keys WHERE meter_id = ?")) {
      ps.setString(1, meterId);
      ps.executeUpdate();
      db.makeDurable(c);
    } catch (SQLException e) {
      throw new IllegalStateException("removing the keys of meter " + meterId + ": " + e.getMessage(), e);
    }
    changed(meterId);
  }

  private void requireMaster() {
    if (master == null) {
      throw new IllegalStateException("no master key: set " + MasterKey.ENV + " (64 hex digits) or "
          + MasterKey.ENV_FILE + " to rotate keys (the head-end stores them encrypted under it)");
    }
  }

  private String encrypt(String meterId, String slot, KeysFile keys) {
    return Base64.getEncoder().encodeToString(
        master.seal(keys.format().getBytes(StandardCharsets.UTF_8), aad(meterId, slot)));
  }

  private KeysFile decrypt(String meterId, String slot, String sealed) {
    if (sealed == null) {
      return null;
    }
    requireMaster();
    byte[] text = master.open(Base64.getDecoder().decode(sealed), aad(meterId, slot));
    return KeysFile.parse(new String(text, StandardCharsets.UTF_8));
  }

  private static byte[] aad(String meterId, String slot) {
    return ("s3mp meter keys\0" + meterId + "\0" + slot).getBytes(StandardCharsets.UTF_8);
  }

  private int countEncrypted() {
    try (Connection c = db.connection();
        PreparedStatement ps = c.prepareStatement(
            "SELECT COUNT(*) FROM meter_keys WHERE current_keys IS NOT NULL OR pending_keys IS NOT NULL");
        ResultSet rs = ps.executeQuery()) {
      rs.next();
      return rs.getInt(1);
    } catch (SQLException e) {
      throw new IllegalStateException("reading meter keys: " + e.getMessage(), e);
    }
  }

  private void checkDecrypts() {
    try (Connection c = db.connection();
        PreparedStatement ps = c.prepareStatement("SELECT meter_id FROM meter_keys");
        ResultSet rs = ps.executeQuery()) {
      while (rs.next()) {
        find(rs.getString(1));
      }
    } catch (SQLException e) {
      throw new IllegalStateException("reading meter keys: " + e.getMessage(), e);
    }
  }
}
