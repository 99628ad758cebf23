package org.s3mp.scion;

/**
 * A SCION ISD-AS number: 16-bit isolation domain, 48-bit autonomous system. Text form {@code 1-ff00:0:110}
 * (AS numbers up to 2^32-1 are written in decimal, BGP style, larger ones as three hex groups).
 */
public record IsdAs(int isd, long as) implements Comparable<IsdAs> {

  static final long MAX_AS = (1L << 48) - 1;
  private static final long MAX_BGP_AS = (1L << 32) - 1;

  public IsdAs {
    if (isd < 0 || isd > 0xFFFF) {
      throw new IllegalArgumentException("ISD out of range 0-65535: " + isd);
    }
    if (as < 0 || as > MAX_AS) {
      throw new IllegalArgumentException("AS out of range (48 bits): " + as);
    }
  }

  /** Parses the text form strictly ({@code ISD-AS}); throws IllegalArgumentException naming the input. */
  public static IsdAs parse(String text) {
    if (text == null) {
      throw new IllegalArgumentException("ISD-AS is missing");
    }
    int dash = text.indexOf('-');
    if (dash <= 0 || dash != text.lastIndexOf('-')) {
      throw new IllegalArgumentException("not an ISD-AS (expected e.g. 1-ff00:0:110): '" + text + "'");
    }
    int isd = (int) parseDecimal(text.substring(0, dash), 0xFFFF, "ISD", text);
    return new IsdAs(isd, parseAs(text.substring(dash + 1), text));
  }

  /** Parses an AS number alone: decimal (BGP style) or three colon-separated hex groups. */
  public static long parseAs(String as, String context) {
    if (as.indexOf(':') < 0) {
      return parseDecimal(as, MAX_BGP_AS, "AS", context);
    }
    String[] groups = as.split(":", -1);
    if (groups.length != 3) {
      throw new IllegalArgumentException("AS must have three hex groups (e.g. ff00:0:110): '" + context + "'");
    }
    long value = 0;
    for (String g : groups) {
      if (g.isEmpty() || g.length() > 4 || !g.chars().allMatch(IsdAs::isHexDigit)) {
        throw new IllegalArgumentException("bad AS hex group '" + g + "' in '" + context + "'");
      }
      value = (value << 16) | Integer.parseInt(g, 16);
    }
    return value;
  }

  private static long parseDecimal(String s, long max, String what, String context) {
    if (s.isEmpty() || s.length() > 10 || !s.chars().allMatch(c -> c >= '0' && c <= '9')) {
      throw new IllegalArgumentException("bad " + what + " '" + s + "' in '" + context + "'");
    }
    long v = Long.parseLong(s);
    if (v > max) {
      throw new IllegalArgumentException(what + " " + v + " out of range in '" + context + "'");
    }
    return v;
  }

  private static boolean isHexDigit(int c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
  }

  /** The 64-bit wire form {@code ISD<<48 | AS} (packet headers and the daemon API). */
  public long toLong() {
    return ((long) isd << 48) | as;
  }

  public static IsdAs fromLong(long value) {
    return new IsdAs((int) (value >>> 48), value & MAX_AS);
  }

  /** True for wildcard components (ISD 0 or AS 0), as used in policies. */
  public boolean isWildcard() {
    return isd == 0 || as == 0;
  }

  public static String formatAs(long as) {
    if (as <= MAX_BGP_AS) {
      return Long.toString(as);
    }
    // not String.format: paths are rendered after every reading, and formatting cost more than the rest
    return Long.toHexString((as >>> 32) & 0xFFFF) + ':' + Long.toHexString((as >>> 16) & 0xFFFF) + ':'
        + Long.toHexString(as & 0xFFFF);
  }

  @Override
  public String toString() {
    return isd + "-" + formatAs(as);
  }

  @Override
  public int compareTo(IsdAs o) {
    return Long.compareUnsigned(toLong(), o.toLong());
  }
}
