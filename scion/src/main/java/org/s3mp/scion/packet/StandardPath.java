package org.s3mp.scion.packet;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * The standard SCION path (type 1): PathMeta (CurrINF, CurrHF, 6 reserved bits, three segment lengths), 1-3
 * info fields and 1-64 hop fields. Validation follows the data-plane rules: segment lengths are filled from
 * the first, the pointers are inside the path and CurrINF is the segment CurrHF belongs to.
 */
public record StandardPath(
    int currInf, int currHf, int reserved, int seg0Len, int seg1Len, int seg2Len,
    List<InfoField> infoFields, List<HopField> hopFields) implements PathHeader {

  static final int META_LENGTH = 4;
  public static final int MAX_HOPS = 64;

  public StandardPath {
    infoFields = List.copyOf(infoFields);
    hopFields = List.copyOf(hopFields);
    String problem = check(currInf, currHf, reserved, seg0Len, seg1Len, seg2Len, infoFields.size(), hopFields.size());
    if (problem != null) {
      throw new IllegalArgumentException(problem);
    }
  }

  /** Null if the values form a valid path, otherwise what is wrong. */
  private static String check(int currInf, int currHf, int reserved, int s0, int s1, int s2, int nInf, int nHops) {
    if (currInf < 0 || currInf > 3 || currHf < 0 || currHf > 63 || reserved < 0 || reserved > 63
        || s0 < 0 || s0 > 63 || s1 < 0 || s1 > 63 || s2 < 0 || s2 > 63) {
      return "path meta field out of range";
    }
    if (s0 == 0) {
      return "path meta: Seg0Len is 0 (a standard path needs at least one segment)";
    }
    if (s1 == 0 && s2 > 0) {
      return "path meta: Seg2Len " + s2 + " > 0 but Seg1Len is 0";
    }
    int expectedInf = s2 > 0 ? 3 : s1 > 0 ? 2 : 1;
    int hops = s0 + s1 + s2;
    if (hops > MAX_HOPS) {
      return "path meta: " + hops + " hop fields, at most " + MAX_HOPS;
    }
    if (nInf != expectedInf || nHops != hops) {
      return "path has " + nInf + " info and " + nHops + " hop fields, segment lengths say " + expectedInf + " and " + hops;
    }
    if (currInf >= nInf) {
      return "path meta: CurrINF " + currInf + " points past the " + nInf + " info fields";
    }
    if (currHf >= nHops) {
      return "path meta: CurrHF " + currHf + " points past the " + nHops + " hop fields";
    }
    int segOfHf = currHf < s0 ? 0 : currHf < s0 + s1 ? 1 : 2;
    if (segOfHf != currInf) {
      return "path meta: CurrHF " + currHf + " is in segment " + segOfHf + " but CurrINF is " + currInf;
    }
    return null;
  }

  public int numInf() {
    return infoFields.size();
  }

  public int numHops() {
    return hopFields.size();
  }

  @Override
  public int pathType() {
    return ScionHeader.PATH_TYPE_SCION;
  }

  @Override
  public int length() {
    return META_LENGTH + InfoField.LENGTH * infoFields.size() + HopField.LENGTH * hopFields.size();
  }

  /** Decodes exactly {@code length} bytes (the path part of the header) as a standard path. */
  static StandardPath decode(ByteReader r, int length) throws PacketParseException {
    ByteReader p = r.slice(length, "standard path");
    long meta = p.u32("path meta header");
    int currInf = (int) (meta >>> 30);
    int currHf = (int) ((meta >>> 24) & 0x3F);
    int rsv = (int) ((meta >>> 18) & 0x3F);
    int s0 = (int) ((meta >>> 12) & 0x3F);
    int s1 = (int) ((meta >>> 6) & 0x3F);
    int s2 = (int) (meta & 0x3F);
    int nInf = s2 > 0 ? 3 : s1 > 0 ? 2 : s0 > 0 ? 1 : 0;
    int nHops = s0 + s1 + s2;
    int expected = META_LENGTH + InfoField.LENGTH * nInf + HopField.LENGTH * nHops;
    if (expected != length) {
      throw new PacketParseException("standard path is " + length + " bytes but its segment lengths ("
          + s0 + "," + s1 + "," + s2 + ") need " + expected);
    }
    String problem = check(currInf, currHf, rsv, s0, s1, s2, nInf, nHops);
    if (problem != null) {
      throw new PacketParseException(problem);
    }
    List<InfoField> infos = new ArrayList<>(nInf);
    for (int i = 0; i < nInf; i++) {
      infos.add(InfoField.read(p));
    }
    List<HopField> hops = new ArrayList<>(nHops);
    for (int i = 0; i < nHops; i++) {
      hops.add(HopField.read(p));
    }
    return new StandardPath(currInf, currHf, rsv, s0, s1, s2, infos, hops);
  }

  /** Decodes raw path bytes as the daemon hands them out (the {@code raw} field of a path). */
  public static StandardPath decode(byte[] raw) throws PacketParseException {
    return decode(new ByteReader(raw, 0, raw.length), raw.length);
  }

  @Override
  public void encode(ByteWriter w) {
    w.u32(((long) currInf << 30) | ((long) currHf << 24) | ((long) reserved << 18) | ((long) seg0Len << 12)
        | ((long) seg1Len << 6) | seg2Len);
    for (InfoField f : infoFields) {
      f.write(w);
    }
    for (HopField h : hopFields) {
      h.write(w);
    }
  }

  /**
   * The reply path: info fields and segment lengths in reverse order with each construction-direction flag
   * flipped, hop fields reversed, and both pointers mirrored.
   */
  @Override
  public StandardPath reversed() {
    List<InfoField> infos = new ArrayList<>(infoFields.size());
    for (InfoField f : infoFields) {
      infos.add(f.withConsDirFlipped());
    }
    Collections.reverse(infos);
    List<HopField> hops = new ArrayList<>(hopFields);
    Collections.reverse(hops);
    int n = infos.size();
    int[] seg = {seg0Len, seg1Len, seg2Len};
    int[] rev = new int[3];
    for (int i = 0; i < n; i++) {
      rev[i] = seg[n - 1 - i];
    }
    return new StandardPath(n - 1 - currInf, hops.size() - 1 - currHf, reserved, rev[0], rev[1], rev[2], infos, hops);
  }

  /**
   * The earliest expiry of any hop field, in Unix seconds: info timestamp + (1 + ExpTime) * 337.5 s for each
   * hop of each segment.
   */
  public long expiryEpochSeconds() {
    int[] seg = {seg0Len, seg1Len, seg2Len};
    long min = Long.MAX_VALUE;
    int hop = 0;
    for (int s = 0; s < infoFields.size(); s++) {
      long ts = infoFields.get(s).timestamp();
      for (int i = 0; i < seg[s]; i++, hop++) {
        long exp = ts + (long) hopFields.get(hop).lifetimeSeconds();
        min = Math.min(min, exp);
      }
    }
    return min;
  }
}
