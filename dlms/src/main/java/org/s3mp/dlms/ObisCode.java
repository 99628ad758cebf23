package org.s3mp.dlms;

import java.util.Objects;

/**
 * An OBIS code (IEC 62056-61), the logical name of a COSEM object, e.g. {@code 1.0.32.7.0.255}.
 *
 * @param a medium, @param b channel, @param c quantity, @param d processing, @param e tariff/classification,
 *     @param f historical value; each 0..255
 */
public record ObisCode(int a, int b, int c, int d, int e, int f) implements Comparable<ObisCode> {

  public ObisCode {
    for (int g : new int[] {a, b, c, d, e, f}) {
      if (g < 0 || g > 255) {
        throw new IllegalArgumentException("OBIS group out of range 0..255: " + g);
      }
    }
  }

  /** Parses the dotted form {@code A.B.C.D.E.F} (also accepts {@code A-B:C.D.E*F}). */
  public static ObisCode parse(String text) {
    Objects.requireNonNull(text, "OBIS code");
    String[] parts = text.trim().split("[.:*-]");
    if (parts.length != 6) {
      throw new IllegalArgumentException("not an OBIS code (want A.B.C.D.E.F): " + text);
    }
    int[] g = new int[6];
    try {
      for (int i = 0; i < 6; i++) {
        g[i] = Integer.parseInt(parts[i]);
      }
      return new ObisCode(g[0], g[1], g[2], g[3], g[4], g[5]);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("not an OBIS code (want A.B.C.D.E.F, groups 0..255): " + text);
    }
  }

  /** The six bytes of the logical name as sent on the wire. */
  public byte[] toBytes() {
    return new byte[] {(byte) a, (byte) b, (byte) c, (byte) d, (byte) e, (byte) f};
  }

  @Override
  public int compareTo(ObisCode o) {
    return Long.compare(packed(), o.packed());
  }

  private long packed() {
    return ((long) a << 40) | ((long) b << 32) | ((long) c << 24) | (d << 16) | (e << 8) | f;
  }

  @Override
  public String toString() {
    return a + "." + b + "." + c + "." + d + "." + e + "." + f;
  }
}
