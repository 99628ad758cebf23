package org.s3mp.scion.packet;

import java.util.Objects;
import org.s3mp.scion.IsdAs;

/**
 * The SCION common header (12 bytes) and address header. The length fields, the next-header and path-type
 * codes are derived from the rest of the packet by {@link ScionPacket}; the 16 reserved bits are kept as read.
 */
public record ScionHeader(
    int trafficClass, int flowId, int reserved, IsdAs dstIsdAs, HostAddress dstHost, IsdAs srcIsdAs,
    HostAddress srcHost) {

  static final int COMMON_LENGTH = 12;
  public static final int NEXT_HDR_UDP = 17;
  public static final int NEXT_HDR_SCMP = 202;
  static final int PATH_TYPE_EMPTY = 0;
  static final int PATH_TYPE_SCION = 1;
  static final int PATH_TYPE_EPIC = 3;

  public ScionHeader {
    if (trafficClass < 0 || trafficClass > 0xFF) {
      throw new IllegalArgumentException("traffic class out of range: " + trafficClass);
    }
    if (flowId < 0 || flowId > 0xFFFFF) {
      throw new IllegalArgumentException("flow id out of range (20 bits): " + flowId);
    }
    if (reserved < 0 || reserved > 0xFFFF) {
      throw new IllegalArgumentException("reserved out of range: " + reserved);
    }
    Objects.requireNonNull(dstIsdAs);
    Objects.requireNonNull(srcIsdAs);
    Objects.requireNonNull(dstHost);
    Objects.requireNonNull(srcHost);
  }

  /** A header for a new packet: traffic class 0, the given flow id (must be non-zero, SCION requires it). */
  public static ScionHeader of(int flowId, IsdAs dstIa, HostAddress dst, IsdAs srcIa, HostAddress src) {
    if (flowId == 0) {
      throw new IllegalArgumentException("the flow id must be set (non-zero)");
    }
    return new ScionHeader(0, flowId, 0, dstIa, dst, srcIa, src);
  }

  int addressLength() {
    return 16 + dstHost.rawUnsafe().length + srcHost.rawUnsafe().length;
  }

  /** The wire fields that {@link ScionPacket} derives or checks against the rest of the packet. */
  record Decoded(ScionHeader header, int nextHdr, int headerBytes, int payloadLength, int pathType) {}

  static Decoded decode(ByteReader r) throws PacketParseException {
    long first = r.u32("common header");
    int version = (int) (first >>> 28);
    if (version != 0) {
      throw new PacketParseException("unsupported SCION version " + version + " (only 0)");
    }
    int tc = (int) ((first >>> 20) & 0xFF);
    int flow = (int) (first & 0xFFFFF);
    int nextHdr = r.u8("common header NextHdr");
    int hdrLen = r.u8("common header HdrLen");
    int payloadLen = r.u16("common header PayloadLen");
    int pathType = r.u8("common header PathType");
    int types = r.u8("common header DT/DL/ST/SL");
    int reserved = r.u16("common header reserved");
    int headerBytes = hdrLen * 4;
    IsdAs dstIa = IsdAs.fromLong(r.u64("address header DstISD-AS"));
    IsdAs srcIa = IsdAs.fromLong(r.u64("address header SrcISD-AS"));
    HostAddress dst = HostAddress.read(r, types >>> 4, "destination");
    HostAddress src = HostAddress.read(r, types & 0xF, "source");
    ScionHeader h = new ScionHeader(tc, flow, reserved, dstIa, dst, srcIa, src);
    if (headerBytes < COMMON_LENGTH + h.addressLength()) {
      throw new PacketParseException("HdrLen " + hdrLen + " (" + headerBytes
          + " bytes) is shorter than the common and address headers (" + (COMMON_LENGTH + h.addressLength()) + " bytes)");
    }
    return new Decoded(h, nextHdr, headerBytes, payloadLen, pathType);
  }

  void encode(ByteWriter w, int nextHdr, int headerBytes, int payloadLength, int pathType) {
    w.u32(((long) trafficClass << 20) | flowId);
    w.u8(nextHdr).u8(headerBytes / 4).u16(payloadLength).u8(pathType);
    w.u8((dstHost.typeCode() << 4) | srcHost.typeCode()).u16(reserved);
    w.u64(dstIsdAs.toLong()).u64(srcIsdAs.toLong());
    w.bytes(dstHost.rawUnsafe()).bytes(srcHost.rawUnsafe());
  }

  /**
   * The one's-complement sum over SCION's pseudo header for an upper layer of the given protocol and length,
   * not yet folded (see scion-header.rst, "Pseudo Header for Upper-Layer Checksum").
   */
  long pseudoHeaderSum(int upperLength, int protocol) {
    long sum = 0;
    sum += words(dstIsdAs.toLong()) + words(srcIsdAs.toLong());
    sum += words(dstHost.rawUnsafe()) + words(srcHost.rawUnsafe());
    sum += ((upperLength >>> 16) & 0xFFFF) + (upperLength & 0xFFFF);
    sum += protocol;
    return sum;
  }

  private static long words(long v) {
    return ((v >>> 48) & 0xFFFF) + ((v >>> 32) & 0xFFFF) + ((v >>> 16) & 0xFFFF) + (v & 0xFFFF);
  }

  private static long words(byte[] b) {
    long s = 0;
    for (int i = 0; i + 1 < b.length; i += 2) {
      s += ((b[i] & 0xFF) << 8) | (b[i + 1] & 0xFF);
    }
    return s;
  }

  /** The upper-layer checksum: pseudo header plus the upper-layer bytes (checksum field included as given). */
  int checksum(byte[] upper, int offset, int length, int protocol) {
    long sum = pseudoHeaderSum(length, protocol);
    int end = offset + length;
    int i = offset;
    for (; i + 1 < end; i += 2) {
      sum += ((upper[i] & 0xFF) << 8) | (upper[i + 1] & 0xFF);
    }
    if (i < end) {
      sum += (upper[i] & 0xFF) << 8;
    }
    while ((sum >>> 16) != 0) {
      sum = (sum & 0xFFFF) + (sum >>> 16);
    }
    return (int) (~sum & 0xFFFF);
  }

  /** A header for the reply: source and destination swapped. */
  public ScionHeader reversed() {
    return new ScionHeader(trafficClass, flowId, 0, srcIsdAs, srcHost, dstIsdAs, dstHost);
  }
}
