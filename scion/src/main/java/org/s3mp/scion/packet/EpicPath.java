package org.s3mp.scion.packet;

import java.util.Arrays;
import java.util.HexFormat;
import java.util.Objects;

/**
 * The EPIC-HP path (type 3, scionproto pkg/slayers/path/epic): a 16-byte prefix in front of a standard SCION path,
 * PktID (EPIC timestamp 4 B, counter 4 B), PHVF (4 B) and LHVF (4 B). The penultimate and the last router on the
 * path check the validation fields ({@link EpicHvf}), so only a source holding the path's authenticators can send
 * on it.
 */
public record EpicPath(long timestamp, long counter, byte[] phvf, byte[] lhvf, StandardPath scionPath)
    implements PathHeader {

  static final int META_LENGTH = 16;
  public static final int HVF_LENGTH = 4;

  public EpicPath {
    if ((timestamp & ~0xFFFFFFFFL) != 0 || (counter & ~0xFFFFFFFFL) != 0) {
      throw new IllegalArgumentException("EPIC timestamp and counter are 32-bit unsigned");
    }
    if (phvf.length != HVF_LENGTH || lhvf.length != HVF_LENGTH) {
      throw new IllegalArgumentException("EPIC PHVF and LHVF are " + HVF_LENGTH + " bytes each");
    }
    phvf = phvf.clone();
    lhvf = lhvf.clone();
    Objects.requireNonNull(scionPath);
  }

  @Override
  public byte[] phvf() {
    return phvf.clone();
  }

  @Override
  public byte[] lhvf() {
    return lhvf.clone();
  }

  @Override
  public int pathType() {
    return ScionHeader.PATH_TYPE_EPIC;
  }

  @Override
  public int length() {
    return META_LENGTH + scionPath.length();
  }

  static EpicPath decode(ByteReader r, int length) throws PacketParseException {
    if (length < META_LENGTH) {
      throw new PacketParseException("EPIC path is " + length + " bytes, shorter than its " + META_LENGTH
          + "-byte prefix");
    }
    long ts = r.u32("EPIC timestamp");
    long counter = r.u32("EPIC counter");
    byte[] p = r.bytes(HVF_LENGTH, "EPIC PHVF");
    byte[] l = r.bytes(HVF_LENGTH, "EPIC LHVF");
    return new EpicPath(ts, counter, p, l, StandardPath.decode(r, length - META_LENGTH));
  }

  @Override
  public void encode(ByteWriter w) {
    w.u32(timestamp).u32(counter).bytes(phvf).bytes(lhvf);
    scionPath.encode(w);
  }

  /**
   * A reply goes back on the reversed standard path, not on EPIC: the responder holds no authenticators for the
   * reverse direction (scionproto's snet DefaultReplyPather does the same).
   */
  @Override
  public StandardPath reversed() {
    return scionPath.reversed();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof EpicPath e && e.timestamp == timestamp && e.counter == counter
        && Arrays.equals(e.phvf, phvf) && Arrays.equals(e.lhvf, lhvf) && e.scionPath.equals(scionPath);
  }

  @Override
  public int hashCode() {
    return Objects.hash(timestamp, counter, Arrays.hashCode(phvf), Arrays.hashCode(lhvf), scionPath);
  }

  @Override
  public String toString() {
    HexFormat hex = HexFormat.of();
    return "EpicPath[ts=" + timestamp + ", counter=" + counter + ", phvf=" + hex.formatHex(phvf) + ", lhvf="
        + hex.formatHex(lhvf) + ", " + scionPath + "]";
  }
}
