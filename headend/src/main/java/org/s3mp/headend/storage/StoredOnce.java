package org.s3mp.headend.storage;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.HexFormat;

/**
 * Rows stored once however often they are used, named by the digest of their content: the network paths
 * ({@link PathStore}) and the register sets ({@link RegisterSets}).
 */
final class StoredOnce {

  /** The id of the row with a digest, null if none is stored. */
  @FunctionalInterface
  interface Lookup {
    Long find(Connection c, String digest) throws SQLException;
  }

  private StoredOnce() {}

  /**
   * The id of the row with {@code digest}: found, or else stored by {@code insert}, in a write transaction of its
   * own.
   */
  static long idFor(Database db, String digest, Lookup lookup, Database.Work<Long> insert) throws SQLException {
    try {
      return db.inWriteTransaction(c -> {
        Long existing = lookup.find(c, digest);
        return existing != null ? existing : insert.run(c);
      });
    } catch (SQLException e) {
      // another head-end on the same database may have stored it just now
      try (Connection c = db.connection()) {
        Long again = lookup.find(c, digest);
        if (again != null) {
          return again;
        }
      }
      throw e;
    }
  }

  /** SHA-256 of a row's canonical text, in hex: its digest. */
  static String sha256(String canonical) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
          .digest(canonical.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
