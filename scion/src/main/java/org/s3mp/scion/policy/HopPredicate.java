package org.s3mp.scion.policy;

import org.s3mp.scion.IsdAs;
import org.s3mp.scion.PathInterface;

/**
 * scionproto's hop predicate {@code ISD[-AS[#IF[,IF]]]}; 0 is a wildcard. With one interface id it matches
 * either interface of the AS on the path; with two, the first is the ingress and the second the egress.
 */
record HopPredicate(int isd, long as, long[] ifIds) {

  static HopPredicate parse(String text) {
    String context = "hop predicate '" + text + "'";
    if (count(text, '-') > 1 || count(text, '#') > 1 || count(text, ',') > 1) {
      throw new IllegalArgumentException(context + ": a delimiter appears too often");
    }
    int dash = text.indexOf('-');
    if (dash < 0) {
      if (text.indexOf('#') >= 0 || text.indexOf(',') >= 0) {
        throw new IllegalArgumentException(context + ": interfaces need an AS");
      }
      return new HopPredicate(parseIsd(text, context), 0, new long[] {0});
    }
    int isd = parseIsd(text.substring(0, dash), context);
    String rest = text.substring(dash + 1);
    int hash = rest.indexOf('#');
    long as = IsdAs.parseAs(hash < 0 ? rest : rest.substring(0, hash), text);
    long[] ifs = {0};
    if (hash >= 0) {
      String[] parts = rest.substring(hash + 1).split(",", -1);
      ifs = new long[parts.length];
      for (int i = 0; i < parts.length; i++) {
        ifs[i] = parseIfId(parts[i], context);
      }
      if (as == 0 && (ifs[0] != 0 || (ifs.length > 1 && ifs[1] != 0))) {
        throw new IllegalArgumentException(context + ": interface ids must be 0 when the AS is a wildcard");
      }
    }
    return new HopPredicate(isd, as, ifs);
  }

  private static int count(String s, char c) {
    return (int) s.chars().filter(x -> x == c).count();
  }

  private static int parseIsd(String s, String context) {
    if (s.isEmpty() || s.length() > 5 || !s.chars().allMatch(Character::isDigit)) {
      throw new IllegalArgumentException(context + ": bad ISD '" + s + "'");
    }
    int v = Integer.parseInt(s);
    if (v > 0xFFFF) {
      throw new IllegalArgumentException(context + ": ISD out of range");
    }
    return v;
  }

  private static long parseIfId(String s, String context) {
    if (s.isEmpty() || s.length() > 19 || !s.chars().allMatch(Character::isDigit)) {
      throw new IllegalArgumentException(context + ": bad interface id '" + s + "'");
    }
    return Long.parseLong(s);
  }

  boolean matchesAll() {
    return isd == 0 && as == 0;
  }

  boolean matches(PathInterface pi, boolean ingress) {
    if (isd != 0 && pi.isdAs().isd() != isd) {
      return false;
    }
    if (as != 0 && pi.isdAs().as() != as) {
      return false;
    }
    int index = ifIds.length == 2 && !ingress ? 1 : 0;
    return ifIds[index] == 0 || ifIds[index] == pi.id();
  }

  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder().append(isd).append('-').append(IsdAs.formatAs(as)).append('#');
    for (int i = 0; i < ifIds.length; i++) {
      sb.append(i == 0 ? "" : ",").append(ifIds[i]);
    }
    return sb.toString();
  }
}
