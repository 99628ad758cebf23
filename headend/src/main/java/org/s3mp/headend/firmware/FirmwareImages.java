package org.s3mp.headend.firmware;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.PublicKey;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import org.s3mp.dlms.firmware.FirmwareImage;
import org.s3mp.headend.storage.Database;

/**
 * Signed firmware images uploaded to the head-end. An image is accepted only when its signature and payload hash
 * verify with one of the vendor keys (every {@code *.pub} in the vendor key directory, read at each upload so a
 * new key needs no restart); the meter checks again with its own trusted key.
 */
final class FirmwareImages {
  /** The largest image a meter takes (FirmwareStore's limit). */
  static final int MAX_BYTES = 4 << 20;

  /** An accepted image, without its bytes. */
  record Info(String id, String firmwareId, long sizeBytes, String payloadSha256, String signer, String uploadedBy,
      Instant uploadedAt) {}

  private final Database db;
  private final Path vendorKeys;

  FirmwareImages(Database db, Path vendorKeys) {
    this.db = db;
    this.vendorKeys = vendorKeys;
  }

  Path vendorKeys() {
    return vendorKeys;
  }

  /**
   * Verifies and stores an image (the same image again: the stored one).
   *
   * @throws IllegalArgumentException saying why the image is refused
   */
  Info upload(byte[] bundle, String actor) {
    if (bundle.length == 0 || bundle.length > MAX_BYTES) {
      throw new IllegalArgumentException("image: 1 byte to " + MAX_BYTES + " bytes, got " + bundle.length);
    }
    FirmwareImage image;
    try {
      image = FirmwareImage.parse(bundle);
    } catch (FirmwareImage.InvalidImageException e) {
      throw new IllegalArgumentException("image refused: " + e.getMessage());
    }
    String signer = signer(image);
    String id = HexFormat.of().formatHex(sha256(bundle));
    Optional<Info> known = find(id);
    if (known.isPresent()) {
      return known.get();
    }
    Info info = new Info(id, image.firmwareId(), bundle.length, image.payloadSha256(), signer, actor,
        Database.truncate(Instant.now()));
    try (Connection c = db.writeConnection();
        PreparedStatement ps = c.prepareStatement("INSERT INTO firmware_image (id, firmware_id, size_bytes,"
            + " payload_sha256, signer, uploaded_by, uploaded_at, content) VALUES (?, ?, ?, ?, ?, ?, ?, ?)")) {
      ps.setString(1, id);
      ps.setString(2, info.firmwareId());
      ps.setLong(3, info.sizeBytes());
      ps.setString(4, info.payloadSha256());
      ps.setString(5, signer);
      ps.setString(6, actor);
      ps.setObject(7, Database.toDb(info.uploadedAt()));
      ps.setString(8, Base64.getEncoder().encodeToString(bundle));
      ps.executeUpdate();
      db.makeDurable(c);
    } catch (SQLException e) {
      if (find(id).isPresent()) {
        return find(id).get(); // uploaded at the same time by another request or instance
      }
      throw new IllegalStateException("storing the firmware image: " + e.getMessage(), e);
    }
    return info;
  }

  /** The vendor key file whose key verifies the image. */
  private String signer(FirmwareImage image) {
    List<Path> keys = new ArrayList<>();
    if (Files.isDirectory(vendorKeys)) {
      try (DirectoryStream<Path> files = Files.newDirectoryStream(vendorKeys, "*.pub")) {
        files.forEach(keys::add);
      } catch (IOException e) {
        throw new IllegalStateException("reading the vendor keys in " + vendorKeys + ": " + e.getMessage(), e);
      }
    }
    if (keys.isEmpty()) {
      throw new IllegalArgumentException("image refused: the head-end trusts no firmware vendor key (put the"
          + " vendor's NAME.pub from 'firmware keygen' into " + vendorKeys + ")");
    }
    keys.sort(null);
    String lastReason = null;
    for (Path file : keys) {
      PublicKey key;
      try {
        key = FirmwareImage.readPublicKey(file);
      } catch (IOException e) {
        continue; // not a key; the other files may be
      }
      try {
        image.verify(key);
        return file.getFileName().toString();
      } catch (FirmwareImage.InvalidImageException e) {
        lastReason = e.getMessage();
      }
    }
    throw new IllegalArgumentException("image refused: it does not verify with any of the " + keys.size()
        + " vendor keys in " + vendorKeys + (lastReason == null ? "" : " (" + lastReason + ")"));
  }

  Optional<Info> find(String id) {
    try (Connection c = db.connection();
        PreparedStatement ps = c.prepareStatement("SELECT id, firmware_id, size_bytes, payload_sha256, signer,"
            + " uploaded_by, uploaded_at FROM firmware_image WHERE id = ?")) {
      ps.setString(1, id);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? Optional.of(info(rs)) : Optional.empty();
      }
    } catch (SQLException e) {
      throw new IllegalStateException("reading firmware images: " + e.getMessage(), e);
    }
  }

  List<Info> all() {
    List<Info> result = new ArrayList<>();
    try (Connection c = db.connection();
        PreparedStatement ps = c.prepareStatement("SELECT id, firmware_id, size_bytes, payload_sha256, signer,"
            + " uploaded_by, uploaded_at FROM firmware_image ORDER BY uploaded_at DESC");
        ResultSet rs = ps.executeQuery()) {
      while (rs.next()) {
        result.add(info(rs));
      }
    } catch (SQLException e) {
      throw new IllegalStateException("reading firmware images: " + e.getMessage(), e);
    }
    return result;
  }

  /** The image's bytes. */
  byte[] content(String id) {
    try (Connection c = db.connection();
        PreparedStatement ps = c.prepareStatement("SELECT content FROM firmware_image WHERE id = ?")) {
      ps.setString(1, id);
      try (ResultSet rs = ps.executeQuery()) {
        if (!rs.next()) {
          throw new java.util.NoSuchElementException("no firmware image " + id);
        }
        return Base64.getDecoder().decode(rs.getString(1));
      }
    } catch (SQLException e) {
      throw new IllegalStateException("reading a firmware image: " + e.getMessage(), e);
    }
  }

  private static Info info(ResultSet rs) throws SQLException {
    return new Info(rs.getString("id"), rs.getString("firmware_id"), rs.getLong("size_bytes"),
        rs.getString("payload_sha256"), rs.getString("signer"), rs.getString("uploaded_by"),
        Database.fromDb(rs, "uploaded_at"));
  }

  private static byte[] sha256(byte[] bytes) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(bytes);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
