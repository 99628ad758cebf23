package org.s3mp.headend.keys;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Map;
import java.util.Optional;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * The key that encrypts the meter keys the head-end stores (AES-256-GCM, a fresh 96-bit nonce per value, the
 * meter id and the slot as associated data so that a value cannot be moved to another meter or slot). It is never
 * in the database: {@code S3MP_MASTER_KEY} (64 hex digits) or {@code S3MP_MASTER_KEY_FILE} (a file holding them).
 */
public final class MasterKey {
  public static final String ENV = "S3MP_MASTER_KEY";
  public static final String ENV_FILE = "S3MP_MASTER_KEY_FILE";
  private static final int NONCE = 12;
  private static final int TAG_BITS = 128;

  private final SecretKeySpec key;
  private final SecureRandom random = new SecureRandom();

  private MasterKey(byte[] key) {
    this.key = new SecretKeySpec(key, "AES");
  }

  /** A master key from 64 hex digits. */
  public static MasterKey ofHex(String hex) {
    byte[] k;
    try {
      k = HexFormat.of().parseHex(hex.strip());
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("master key: not hex (64 hex digits expected, e.g. openssl rand -hex 32)");
    }
    if (k.length != 32) {
      throw new IllegalArgumentException("master key: 32 bytes (64 hex digits) expected, got " + k.length + " bytes");
    }
    return new MasterKey(k);
  }

  /** A fresh random master key (tests). */
  public static MasterKey random() {
    byte[] k = new byte[32];
    new SecureRandom().nextBytes(k);
    return new MasterKey(k);
  }

  /** The master key of the environment ({@link #ENV}, else {@link #ENV_FILE}), if one is given. */
  public static Optional<MasterKey> fromEnvironment(Map<String, String> env) {
    String hex = env.get(ENV);
    if (hex != null && !hex.isBlank()) {
      return Optional.of(ofHex(hex));
    }
    String file = env.get(ENV_FILE);
    if (file != null && !file.isBlank()) {
      try {
        return Optional.of(ofHex(Files.readString(Path.of(file))));
      } catch (IOException e) {
        throw new IllegalArgumentException(ENV_FILE + ": cannot read " + file + ": " + e.getMessage(), e);
      }
    }
    return Optional.empty();
  }

  /** nonce || ciphertext-with-tag. */
  byte[] seal(byte[] plaintext, byte[] associatedData) {
    try {
      byte[] nonce = new byte[NONCE];
      random.nextBytes(nonce);
      Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
      c.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, nonce));
      c.updateAAD(associatedData);
      byte[] ct = c.doFinal(plaintext);
      return ByteBuffer.allocate(NONCE + ct.length).put(nonce).put(ct).array();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-GCM: " + e.getMessage(), e);
    }
  }

  /** The plaintext; {@link WrongMasterKeyException} when the tag does not verify (another key, or tampered). */
  byte[] open(byte[] sealed, byte[] associatedData) {
    if (sealed.length < NONCE + TAG_BITS / 8) {
      throw new WrongMasterKeyException();
    }
    try {
      Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
      c.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, sealed, 0, NONCE));
      c.updateAAD(associatedData);
      return c.doFinal(sealed, NONCE, sealed.length - NONCE);
    } catch (javax.crypto.AEADBadTagException e) {
      throw new WrongMasterKeyException();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-GCM: " + e.getMessage(), e);
    }
  }

  /** Stored keys that this master key does not decrypt. */
  public static final class WrongMasterKeyException extends IllegalStateException {
    WrongMasterKeyException() {
      super("the master key does not decrypt the stored meter keys (another master key, or the value was altered)");
    }
  }

  @Override
  public String toString() {
    return "MasterKey[AES-256]";
  }
}
