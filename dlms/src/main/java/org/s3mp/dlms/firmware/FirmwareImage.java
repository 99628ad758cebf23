package org.s3mp.dlms.firmware;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * A signed firmware image, the unit the meter's image transfer (class 18) carries. The bundle is a short UTF-8
 * manifest, one signature line, an empty line, then the payload:
 *
 * <pre>
 * s3mp-firmware-image 1
 * firmware-id s3mp-meter 1.1
 * payload-size 12345
 * payload-sha256 9f86d0...
 * self-test pass
 * signature BASE64(Ed25519 over the manifest lines above, newlines included)
 *
 * PAYLOAD BYTES
 * </pre>
 *
 * The signature covers the manifest, and the manifest the payload (its size and SHA-256), so neither can change
 * without the meter noticing. {@code self-test} is what the image's start check reports on this meter ("pass", or
 * "fail" to exercise the rollback: the agent is one program, so a new firmware that does not start is simulated).
 */
public final class FirmwareImage {
  static final String MAGIC = "s3mp-firmware-image 1";
  /** Firmware ids are short printable ASCII (they are shown, logged and sent as an octet string). */
  private static final Pattern FIRMWARE_ID = Pattern.compile("[\\x21-\\x7E][\\x20-\\x7E]{0,63}");
  /** Longest manifest + signature part accepted when parsing (a garbage file fails fast). */
  private static final int MAX_HEADER = 4096;

  private final String firmwareId;
  private final long payloadSize;
  private final byte[] payloadSha256;
  private final boolean selfTestPasses;
  private final byte[] manifest;
  private final byte[] signature;
  private final byte[] payload;

  private FirmwareImage(String firmwareId, long payloadSize, byte[] payloadSha256, boolean selfTestPasses,
      byte[] manifest, byte[] signature, byte[] payload) {
    this.firmwareId = firmwareId;
    this.payloadSize = payloadSize;
    this.payloadSha256 = payloadSha256;
    this.selfTestPasses = selfTestPasses;
    this.manifest = manifest;
    this.signature = signature;
    this.payload = payload;
  }

  /** Why an image is refused; the message is one line for people and logs. */
  public static final class InvalidImageException extends Exception {
    public InvalidImageException(String message) {
      super(message);
    }
  }

  /** Signs a payload into an image. */
  public static FirmwareImage sign(String firmwareId, byte[] payload, boolean selfTestPasses, PrivateKey key) {
    if (!FIRMWARE_ID.matcher(firmwareId).matches()) {
      throw new IllegalArgumentException("firmware id: 1 to 64 printable ASCII characters, got '" + firmwareId + "'");
    }
    byte[] hash = sha256(payload);
    String m = MAGIC + "\n"
        + "firmware-id " + firmwareId + "\n"
        + "payload-size " + payload.length + "\n"
        + "payload-sha256 " + HexFormat.of().formatHex(hash) + "\n"
        + "self-test " + (selfTestPasses ? "pass" : "fail") + "\n";
    byte[] manifest = m.getBytes(StandardCharsets.US_ASCII);
    try {
      Signature s = Signature.getInstance("Ed25519");
      s.initSign(key);
      s.update(manifest);
      return new FirmwareImage(firmwareId, payload.length, hash, selfTestPasses, manifest, s.sign(),
          payload.clone());
    } catch (GeneralSecurityException e) {
      throw new IllegalArgumentException("cannot sign with this key (an Ed25519 private key is needed): "
          + e.getMessage(), e);
    }
  }

  /** The bundle's bytes. */
  public byte[] encode() {
    byte[] sig = ("signature " + Base64.getEncoder().encodeToString(signature) + "\n\n")
        .getBytes(StandardCharsets.US_ASCII);
    byte[] out = Arrays.copyOf(manifest, manifest.length + sig.length + payload.length);
    System.arraycopy(sig, 0, out, manifest.length, sig.length);
    System.arraycopy(payload, 0, out, manifest.length + sig.length, payload.length);
    return out;
  }

  /**
   * Parses a bundle without checking its signature or hash (see {@link #verify}).
   *
   * @throws InvalidImageException when it is not a well-formed image
   */
  public static FirmwareImage parse(byte[] bundle) throws InvalidImageException {
    int end = indexOf(bundle, "\n\n".getBytes(StandardCharsets.US_ASCII), Math.min(bundle.length, MAX_HEADER + 2));
    if (end < 0) {
      throw new InvalidImageException("not a firmware image (no manifest)");
    }
    String header = new String(bundle, 0, end + 1, StandardCharsets.US_ASCII);
    if (!header.startsWith(MAGIC + "\n")) {
      throw new InvalidImageException("not a firmware image (expected '" + MAGIC + "')");
    }
    int sigLine = header.lastIndexOf("\nsignature ");
    if (sigLine < 0) {
      throw new InvalidImageException("firmware image without signature");
    }
    byte[] manifest = Arrays.copyOf(bundle, sigLine + 1);
    Map<String, String> fields = new LinkedHashMap<>();
    for (String line : header.substring(MAGIC.length() + 1).split("\n")) {
      int sp = line.indexOf(' ');
      if (sp <= 0 || fields.put(line.substring(0, sp), line.substring(sp + 1)) != null) {
        throw new InvalidImageException("firmware image manifest: malformed or repeated line '" + line + "'");
      }
    }
    try {
      String id = required(fields, "firmware-id");
      if (!FIRMWARE_ID.matcher(id).matches()) {
        throw new InvalidImageException("firmware image manifest: bad firmware id");
      }
      long size = Long.parseLong(required(fields, "payload-size"));
      byte[] hash = HexFormat.of().parseHex(required(fields, "payload-sha256"));
      String selfTest = required(fields, "self-test");
      byte[] signature = Base64.getDecoder().decode(required(fields, "signature"));
      if (hash.length != 32 || !(selfTest.equals("pass") || selfTest.equals("fail")) || size < 0
          || fields.size() != 5) {
        throw new InvalidImageException("firmware image manifest: bad or unknown field");
      }
      byte[] payload = Arrays.copyOfRange(bundle, end + 2, bundle.length);
      return new FirmwareImage(id, size, hash, selfTest.equals("pass"), manifest, signature, payload);
    } catch (IllegalArgumentException e) {
      throw new InvalidImageException("firmware image manifest: " + e.getMessage());
    }
  }

  private static String required(Map<String, String> fields, String name) throws InvalidImageException {
    String v = fields.get(name);
    if (v == null) {
      throw new InvalidImageException("firmware image manifest: no " + name);
    }
    return v;
  }

  /**
   * Checks the signature with the trusted key, then the payload against the manifest.
   *
   * @throws InvalidImageException saying which check failed
   */
  public void verify(PublicKey trusted) throws InvalidImageException {
    boolean signed;
    try {
      Signature s = Signature.getInstance("Ed25519");
      s.initVerify(trusted);
      s.update(manifest);
      signed = s.verify(signature);
    } catch (GeneralSecurityException e) {
      signed = false;
    }
    if (!signed) {
      throw new InvalidImageException("signature does not verify with the trusted firmware key");
    }
    if (payload.length != payloadSize) {
      throw new InvalidImageException("payload is " + payload.length + " bytes, the manifest says " + payloadSize);
    }
    if (!MessageDigest.isEqual(sha256(payload), payloadSha256)) {
      throw new InvalidImageException("payload SHA-256 differs from the signed manifest");
    }
  }

  public String firmwareId() {
    return firmwareId;
  }

  /** What the image's start check reports (false: the meter must roll back after activating it). */
  public boolean selfTestPasses() {
    return selfTestPasses;
  }

  public String payloadSha256() {
    return HexFormat.of().formatHex(payloadSha256);
  }

  public byte[] signature() {
    return signature.clone();
  }

  // ------------------------------------------------------------------ keys

  /** A new Ed25519 key pair for signing firmware. */
  public static KeyPair generateKeyPair() {
    try {
      return KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("this JDK has no Ed25519", e);
    }
  }

  /** Writes a key as PEM (PUBLIC KEY: X.509 SubjectPublicKeyInfo, PRIVATE KEY: PKCS#8), as openssl does. */
  public static String pem(java.security.Key key) {
    String type = key instanceof PrivateKey ? "PRIVATE KEY" : "PUBLIC KEY";
    return "-----BEGIN " + type + "-----\n"
        + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(key.getEncoded())
        + "\n-----END " + type + "-----\n";
  }

  public static PublicKey readPublicKey(Path file) throws IOException {
    try {
      return KeyFactory.getInstance("Ed25519").generatePublic(new X509EncodedKeySpec(pemBody(file, "PUBLIC KEY")));
    } catch (GeneralSecurityException e) {
      throw new IOException(file + ": not an Ed25519 public key (" + e.getMessage() + ")", e);
    }
  }

  public static PrivateKey readPrivateKey(Path file) throws IOException {
    try {
      return KeyFactory.getInstance("Ed25519").generatePrivate(new PKCS8EncodedKeySpec(pemBody(file, "PRIVATE KEY")));
    } catch (GeneralSecurityException e) {
      throw new IOException(file + ": not an Ed25519 private key (" + e.getMessage() + ")", e);
    }
  }

  private static byte[] pemBody(Path file, String type) throws IOException {
    String text;
    try {
      text = Files.readString(file, StandardCharsets.US_ASCII);
    } catch (IOException e) {
      throw new IOException("cannot read " + file + " (" + e.getClass().getSimpleName() + ")", e);
    }
    int begin = text.indexOf("-----BEGIN " + type + "-----");
    int end = text.indexOf("-----END " + type + "-----");
    if (begin < 0 || end < begin) {
      throw new IOException(file + ": no PEM " + type);
    }
    try {
      return Base64.getMimeDecoder().decode(text.substring(begin + type.length() + 16, end));
    } catch (IllegalArgumentException e) {
      throw new IOException(file + ": malformed PEM " + type, e);
    }
  }

  static byte[] sha256(byte[] data) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(data);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  private static int indexOf(byte[] data, byte[] pattern, int limit) {
    outer:
    for (int i = 0; i + pattern.length <= limit; i++) {
      for (int j = 0; j < pattern.length; j++) {
        if (data[i + j] != pattern[j]) {
          continue outer;
        }
      }
      return i;
    }
    return -1;
  }
}
