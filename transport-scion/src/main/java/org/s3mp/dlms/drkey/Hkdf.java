package org.s3mp.dlms.drkey;

import java.io.ByteArrayOutputStream;
import java.security.GeneralSecurityException;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/** HKDF with HMAC-SHA256 (RFC 5869): the standard KDF we derive DLMS keys with; the JDK has HMAC, not HKDF. */
final class Hkdf {
  private Hkdf() {}

  static byte[] extract(byte[] salt, byte[] ikm) {
    return hmac(salt.length == 0 ? new byte[32] : salt, ikm);
  }

  static byte[] expand(byte[] prk, byte[] info, int length) {
    if (length > 255 * 32) {
      throw new IllegalArgumentException("HKDF output too long: " + length);
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    byte[] t = new byte[0];
    for (int i = 1; out.size() < length; i++) {
      byte[] input = new byte[t.length + info.length + 1];
      System.arraycopy(t, 0, input, 0, t.length);
      System.arraycopy(info, 0, input, t.length, info.length);
      input[input.length - 1] = (byte) i;
      t = hmac(prk, input);
      out.write(t, 0, t.length);
    }
    byte[] okm = new byte[length];
    System.arraycopy(out.toByteArray(), 0, okm, 0, length);
    return okm;
  }

  private static byte[] hmac(byte[] key, byte[] data) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(key, "HmacSHA256"));
      return mac.doFinal(data);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 unavailable", e);
    }
  }
}
