package org.s3mp.scion.packet;

/**
 * A SCION path info field (8 bytes): flags (bit 0 C = construction direction, bit 1 P = peering; other bits
 * reserved and kept as read), a reserved byte, the segment id and the segment's creation timestamp (Unix s).
 */
public record InfoField(int flags, int reserved, int segId, long timestamp) {
  static final int LENGTH = 8;
  static final int FLAG_CONS_DIR = 0x01;
  static final int FLAG_PEER = 0x02;

  public InfoField {
    if ((flags & ~0xFF) != 0 || (reserved & ~0xFF) != 0 || (segId & ~0xFFFF) != 0 || (timestamp & ~0xFFFFFFFFL) != 0) {
      throw new IllegalArgumentException("info field value out of range");
    }
  }

  public boolean consDir() {
    return (flags & FLAG_CONS_DIR) != 0;
  }

  public boolean peer() {
    return (flags & FLAG_PEER) != 0;
  }

  InfoField withConsDirFlipped() {
    return new InfoField(flags ^ FLAG_CONS_DIR, reserved, segId, timestamp);
  }

  static InfoField read(ByteReader r) throws PacketParseException {
    int flags = r.u8("info field flags");
    int rsv = r.u8("info field reserved");
    int segId = r.u16("info field SegID");
    long ts = r.u32("info field timestamp");
    return new InfoField(flags, rsv, segId, ts);
  }

  void write(ByteWriter w) {
    w.u8(flags).u8(reserved).u16(segId).u32(timestamp);
  }
}
