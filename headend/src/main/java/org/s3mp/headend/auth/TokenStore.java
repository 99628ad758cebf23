package org.s3mp.headend.auth;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.s3mp.headend.storage.Database;

/**
 * API tokens: 256 random bits, shown once, stored as SHA-256 (a fast hash is enough for secrets with that much
 * entropy). Tokens come from the database ({@code s3mp token create}) and from the config file (as hashes).
 */
public final class TokenStore {

  /** A token as presented: who it is (for the audit log) and what it may do. */
  public record Principal(String name, Role role) {}

  /** A freshly created token: {@code secret} is the only copy of the bearer value. */
  public record Created(ApiToken token, String secret) {}

  private static final SecureRandom RANDOM = new SecureRandom();

  private final Database db;
  private final Map<String, Principal> configured;
  private final java.time.Duration lifetime;

  /** {@code configuredHashes}: SHA-256 hex of a token mapped to who it is; database tokens live 12 hours. */
  public TokenStore(Database db, Map<String, Principal> configuredHashes) {
    this(db, configuredHashes, java.time.Duration.ofHours(12));
  }

  /**
   * {@code lifetime}: how long a database token works after its creation (a leaked token stops working by
   * itself). Tokens of the config file are the operator's to rotate and do not expire.
   */
  public TokenStore(Database db, Map<String, Principal> configuredHashes, java.time.Duration lifetime) {
    this.db = db;
    this.configured = Map.copyOf(configuredHashes);
    this.lifetime = lifetime;
  }

  public Created create(String name, Role role) {
    byte[] secretBytes = new byte[32];
    RANDOM.nextBytes(secretBytes);
    String secret = "s3mp_" + Base64.getUrlEncoder().withoutPadding().encodeToString(secretBytes);
    byte[] idBytes = new byte[6];
    RANDOM.nextBytes(idBytes);
    String id = HexFormat.of().formatHex(idBytes);
    Instant now = Database.truncate(Instant.now());
    String label = name == null || name.isBlank() ? role.label() + "-" + id : name.trim();
    try (Connection c = db.writeConnection();
        PreparedStatement ps = c.prepareStatement(
            "INSERT INTO api_token (id, name, role, token_sha256, created_at) VALUES (?, ?, ?, ?, ?)")) {
      ps.setString(1, id);
      ps.setString(2, label);
      ps.setString(3, role.label());
      ps.setString(4, sha256(secret));
      ps.setObject(5, Database.toDb(now));
      ps.executeUpdate();
      db.makeDurable(c);
    } catch (SQLException e) {
      throw new IllegalStateException("storing the token: " + e.getMessage(), e);
    }
    return new Created(new ApiToken(id, label, role, now, null), secret);
  }

  public List<ApiToken> list() {
    List<ApiToken> result = new ArrayList<>();
    try (Connection c = db.connection();
        PreparedStatement ps = c.prepareStatement("SELECT * FROM api_token ORDER BY created_at, id");
        ResultSet rs = ps.executeQuery()) {
      while (rs.next()) {
        result.add(new ApiToken(rs.getString("id"), rs.getString("name"), Role.parse(rs.getString("role")),
            Database.fromDb(rs, "created_at"), Database.fromDb(rs, "revoked_at")));
      }
    } catch (SQLException e) {
      throw new IllegalStateException("listing tokens: " + e.getMessage(), e);
    }
    return result;
  }

  /** Revokes a token by id; false when there is no such valid token. */
  public boolean revoke(String id) {
    try (Connection c = db.writeConnection();
        PreparedStatement ps = c.prepareStatement(
            "UPDATE api_token SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL")) {
      ps.setObject(1, Database.toDb(Instant.now()));
      ps.setString(2, id);
      boolean revoked = ps.executeUpdate() > 0;
      db.makeDurable(c);
      return revoked;
    } catch (SQLException e) {
      throw new IllegalStateException("revoking token " + id + ": " + e.getMessage(), e);
    }
  }

  /** Who presents this bearer value, if it is a valid token. */
  public Optional<Principal> authenticate(String secret) {
    if (secret == null || secret.isEmpty() || secret.length() > 200) {
      return Optional.empty();
    }
    String hash = sha256(secret);
    Principal fromConfig = configured.get(hash);
    if (fromConfig != null) {
      return Optional.of(fromConfig);
    }
    try (Connection c = db.connection();
        PreparedStatement ps = c.prepareStatement(
            "SELECT name, role FROM api_token WHERE token_sha256 = ? AND revoked_at IS NULL AND created_at > ?")) {
      ps.setString(1, hash);
      ps.setObject(2, Database.toDb(Instant.now().minus(lifetime)));
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? Optional.of(new Principal(rs.getString("name"), Role.parse(rs.getString("role")))) : Optional.empty();
      }
    } catch (SQLException e) {
      throw new IllegalStateException("checking a token: " + e.getMessage(), e);
    }
  }

  public static String sha256(String secret) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(secret.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
