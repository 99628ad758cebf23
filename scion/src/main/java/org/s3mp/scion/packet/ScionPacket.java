package org.s3mp.scion.packet;

import java.util.Objects;
import java.util.concurrent.atomic.LongAdder;

/**
 * A whole SCION packet as carried in one underlay UDP datagram: header, path and an upper layer (UDP or SCMP).
 * {@link #decode} is strict (exact lengths, valid path, correct checksum) and throws only
 * {@link PacketParseException}; {@link #encode} derives the length fields and checksums, so decoding and
 * re-encoding a valid packet reproduces its bytes.
 */
public record ScionPacket(ScionHeader header, PathHeader path, L4Payload l4) {

  private static final LongAdder MALFORMED = new LongAdder();

  public ScionPacket {
    Objects.requireNonNull(header);
    Objects.requireNonNull(path);
    Objects.requireNonNull(l4);
  }

  /** How many byte sequences {@link #decode} has rejected in this JVM. */
  public static long malformedCount() {
    return MALFORMED.sum();
  }

  public static ScionPacket decode(byte[] data) throws PacketParseException {
    return decode(data, 0, data.length);
  }

  public static ScionPacket decode(byte[] data, int offset, int length) throws PacketParseException {
    try {
      return decodeStrict(new ByteReader(data, offset, length));
    } catch (PacketParseException e) {
      MALFORMED.increment();
      throw e;
    } catch (RuntimeException e) {
      // Defence in depth: a bug in a check must still surface as the declared exception, never crash a caller.
      MALFORMED.increment();
      throw new PacketParseException("malformed packet: " + e);
    }
  }

  private static ScionPacket decodeStrict(ByteReader r) throws PacketParseException {
    int total = r.remaining();
    ScionHeader.Decoded d = ScionHeader.decode(r);
    ScionHeader h = d.header();
    if (total != d.headerBytes() + d.payloadLength()) {
      throw new PacketParseException("packet is " + total + " bytes but HdrLen and PayloadLen say "
          + d.headerBytes() + " + " + d.payloadLength());
    }
    int pathLength = d.headerBytes() - ScionHeader.COMMON_LENGTH - h.addressLength();
    PathHeader path;
    switch (d.pathType()) {
      case ScionHeader.PATH_TYPE_EMPTY -> {
        if (pathLength != 0) {
          throw new PacketParseException("empty path (type 0) but HdrLen leaves " + pathLength + " path bytes");
        }
        path = EmptyPath.INSTANCE;
      }
      case ScionHeader.PATH_TYPE_SCION -> path = StandardPath.decode(r, pathLength);
      case ScionHeader.PATH_TYPE_EPIC -> path = EpicPath.decode(r, pathLength);
      default -> throw new PacketParseException("unsupported path type " + d.pathType()
          + " (supported: 0 empty, 1 SCION, 3 EPIC)");
    }
    ByteReader upper = r.slice(d.payloadLength(), "payload");
    L4Payload l4 = switch (d.nextHdr()) {
      case ScionHeader.NEXT_HDR_UDP -> UdpDatagram.decode(upper, h);
      case ScionHeader.NEXT_HDR_SCMP -> ScmpMessage.decode(upper, h);
      default -> throw new PacketParseException("unsupported next header " + d.nextHdr()
          + " (supported: 17 UDP, 202 SCMP)");
    };
    return new ScionPacket(h, path, l4);
  }

  public byte[] encode() {
    int headerBytes = ScionHeader.COMMON_LENGTH + header.addressLength() + path.length();
    if (headerBytes / 4 > 0xFF) {
      throw new IllegalStateException("SCION header too long: " + headerBytes + " bytes");
    }
    ByteWriter w = new ByteWriter(headerBytes + 64);
    header.encode(w, l4.protocol(), headerBytes, 0, path.pathType());
    path.encode(w);
    int l4Start = w.length();
    if (l4 instanceof UdpDatagram u) {
      u.encode(w, header);
    } else {
      ScmpMessage.encode((ScmpMessage) l4, w, header);
    }
    int payloadLength = w.length() - l4Start;
    if (payloadLength > 0xFFFF) {
      throw new IllegalStateException("SCION payload too long: " + payloadLength + " bytes");
    }
    w.putU16At(6, payloadLength);
    return w.toByteArray();
  }

  /** Bytes this packet takes on the wire. */
  public int encodedLength() {
    return encode().length;
  }

  /** The SCION header size for the given path and hosts, to check a payload against a path MTU. */
  public static int headerLength(ScionHeader header, PathHeader path) {
    return ScionHeader.COMMON_LENGTH + header.addressLength() + path.length();
  }
}
