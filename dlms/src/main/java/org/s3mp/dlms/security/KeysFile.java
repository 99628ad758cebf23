package org.s3mp.dlms.security;

import java.io.IOException;
import java.io.StringReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;

/**
 * The static DLMS security material of one meter: one {@code name=value} per line (a Java properties file), values
 * in hex, {@code #} starts a comment. Keys are AES-128 (16 bytes), system titles 8 bytes.
 *
 * <pre>
 * authentication-key=D0D1D2D3D4D5D6D7D8D9DADBDCDDDEDF
 * encryption-key=000102030405060708090A0B0C0D0E0F
 * client-system-title=53334D5000000001
 * server-system-title=53334D5000000101
 * key-encryption-key=101112131415161718191A1B1C1D1E1F
 * </pre>
 *
 * <p>The key-encryption key (KEK, the DLMS "master key") is optional: it only wraps new keys in a key transfer
 * (key rotation, IEC 62056-5-3 key_transfer of the Security setup); a keys file without one cannot be rotated.
 */
public record KeysFile(
    byte[] authenticationKey, byte[] encryptionKey, byte[] clientSystemTitle, byte[] serverSystemTitle,
    byte[] keyEncryptionKey) {

  public KeysFile {
    check("authentication-key", authenticationKey, 16);
    check("encryption-key", encryptionKey, 16);
    check("client-system-title", clientSystemTitle, 8);
    check("server-system-title", serverSystemTitle, 8);
    if (keyEncryptionKey != null) {
      check("key-encryption-key", keyEncryptionKey, 16);
      keyEncryptionKey = keyEncryptionKey.clone();
    }
    authenticationKey = authenticationKey.clone();
    encryptionKey = encryptionKey.clone();
    clientSystemTitle = clientSystemTitle.clone();
    serverSystemTitle = serverSystemTitle.clone();
  }

  /** Keys without a key-encryption key (not rotatable). */
  public KeysFile(byte[] authenticationKey, byte[] encryptionKey, byte[] clientSystemTitle, byte[] serverSystemTitle) {
    this(authenticationKey, encryptionKey, clientSystemTitle, serverSystemTitle, null);
  }

  /** Whether these keys can be rotated by a key transfer (they have a key-encryption key). */
  public boolean rotatable() {
    return keyEncryptionKey != null;
  }

  /**
   * The same system titles and key-encryption key with fresh random authentication and encryption keys: the next
   * keys of a rotation.
   */
  public KeysFile nextKeys() {
    SecureRandom random = new SecureRandom();
    byte[] ak = new byte[16];
    byte[] ek = new byte[16];
    random.nextBytes(ak);
    random.nextBytes(ek);
    return new KeysFile(ak, ek, clientSystemTitle, serverSystemTitle, keyEncryptionKey);
  }

  /** These keys with other authentication and encryption keys (what a key transfer changes). */
  public KeysFile withKeys(byte[] newAuthenticationKey, byte[] newEncryptionKey) {
    return new KeysFile(newAuthenticationKey, newEncryptionKey, clientSystemTitle, serverSystemTitle,
        keyEncryptionKey);
  }

  private static void check(String name, byte[] value, int length) {
    if (value == null) {
      throw new IllegalArgumentException("keys file: " + name + " is missing");
    }
    if (value.length != length) {
      throw new IllegalArgumentException(
          "keys file: " + name + " must be " + length + " bytes (" + 2 * length + " hex digits), not " + value.length);
    }
  }

  /** Reads a keys file; errors name the file and the problem, never a key. */
  public static KeysFile load(Path file) throws IOException {
    if (!Files.isReadable(file)) {
      throw new IOException("keys file not readable: " + file);
    }
    try {
      return parse(Files.readString(file));
    } catch (IllegalArgumentException e) {
      throw new IOException(file + ": " + e.getMessage(), e);
    }
  }

  /** The names a keys file holds, in file order. */
  private static final List<String> NAMES =
      List.of("authentication-key", "encryption-key", "client-system-title", "server-system-title",
          "key-encryption-key");

  /**
   * Reads the file form: {@code java.util.Properties} syntax (so {@code =} or {@code :}, {@code #} and {@code !}
   * comments), names in any case, hex values that may be grouped with spaces or colons. Other names are
   * ignored, but a line that is only a name is an error (a cut-off or foreign file).
   */
  public static KeysFile parse(String text) {
    Properties entries = new Properties();
    try {
      entries.load(new StringReader(text));
    } catch (IOException | IllegalArgumentException e) {
      // a malformed unicode escape; the message never quotes the file
      throw new IllegalArgumentException("not a keys file (want name=value lines)");
    }
    Map<String, byte[]> values = new LinkedHashMap<>();
    for (String raw : entries.stringPropertyNames()) {
      String name = raw.toLowerCase(Locale.ROOT);
      String hex = entries.getProperty(raw).replaceAll("[\\s:]", "");
      if (!NAMES.contains(name)) {
        if (hex.isEmpty()) {
          throw new IllegalArgumentException("a line without a value (want name=value)");
        }
        continue;
      }
      try {
        values.put(name, HexFormat.of().parseHex(hex));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(name + " is not hex");
      }
    }
    return new KeysFile(values.get(NAMES.get(0)), values.get(NAMES.get(1)), values.get(NAMES.get(2)),
        values.get(NAMES.get(3)), values.get(NAMES.get(4)));
  }

  /** Fresh random keys, key-encryption key included, with the given system titles (for set-up and tests). */
  public static KeysFile generate(byte[] clientSystemTitle, byte[] serverSystemTitle) {
    SecureRandom random = new SecureRandom();
    byte[] ak = new byte[16];
    byte[] ek = new byte[16];
    byte[] kek = new byte[16];
    random.nextBytes(ak);
    random.nextBytes(ek);
    random.nextBytes(kek);
    return new KeysFile(ak, ek, clientSystemTitle, serverSystemTitle, kek);
  }

  /**
   * Writes the keys to {@code file}, readable by its owner only (on POSIX), whole under a temporary name and then
   * renamed: no reader ever sees half a keys file.
   */
  public void save(Path file) throws IOException {
    Path parent = file.toAbsolutePath().getParent();
    Files.createDirectories(parent);
    Path tmp = Files.createTempFile(parent, ".keys-", ".tmp");
    try {
      Files.writeString(tmp, format());
      Files.move(tmp, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
          java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    } finally {
      Files.deleteIfExists(tmp);
    }
    try {
      Files.setPosixFilePermissions(file, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
    } catch (UnsupportedOperationException notPosix) {
      // nothing to restrict
    }
  }

  /** The file form, as {@link #parse} reads it. */
  public String format() {
    HexFormat hex = HexFormat.of().withUpperCase();
    return "# S3MP DLMS keys (HLS-GMAC, security suite 0)\n"
        + "authentication-key=" + hex.formatHex(authenticationKey) + "\n"
        + "encryption-key=" + hex.formatHex(encryptionKey) + "\n"
        + "client-system-title=" + hex.formatHex(clientSystemTitle) + "\n"
        + "server-system-title=" + hex.formatHex(serverSystemTitle) + "\n"
        + (keyEncryptionKey == null ? "" : "key-encryption-key=" + hex.formatHex(keyEncryptionKey) + "\n");
  }

  /**
   * A short, non-secret identifier of the key pair (first 8 bytes of SHA-256 over both keys, hex), used to keep
   * invocation counters per key.
   */
  public String keyId() {
    try {
      var md = java.security.MessageDigest.getInstance("SHA-256");
      md.update(authenticationKey);
      md.update(encryptionKey);
      return HexFormat.of().formatHex(md.digest(), 0, 8);
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  @Override
  public byte[] authenticationKey() {
    return authenticationKey.clone();
  }

  @Override
  public byte[] encryptionKey() {
    return encryptionKey.clone();
  }

  @Override
  public byte[] clientSystemTitle() {
    return clientSystemTitle.clone();
  }

  @Override
  public byte[] serverSystemTitle() {
    return serverSystemTitle.clone();
  }

  /** The key-encryption key, or null when these keys have none. */
  @Override
  public byte[] keyEncryptionKey() {
    return keyEncryptionKey == null ? null : keyEncryptionKey.clone();
  }

  @Override
  public String toString() {
    return "KeysFile[key id " + keyId() + "]";
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof KeysFile k
        && java.util.Arrays.equals(authenticationKey, k.authenticationKey)
        && java.util.Arrays.equals(encryptionKey, k.encryptionKey)
        && java.util.Arrays.equals(clientSystemTitle, k.clientSystemTitle)
        && java.util.Arrays.equals(serverSystemTitle, k.serverSystemTitle)
        && java.util.Arrays.equals(keyEncryptionKey, k.keyEncryptionKey);
  }

  @Override
  public int hashCode() {
    return java.util.Arrays.hashCode(encryptionKey);
  }
}
