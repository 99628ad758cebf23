package org.s3mp.scion.packet;

/** Bounds-checked big-endian reads; every shortfall becomes a {@link PacketParseException} naming the field. */
final class ByteReader {
  private final byte[] data;
  private int pos;
  private final int limit;

  ByteReader(byte[] data, int offset, int length) {
    if (offset < 0 || length < 0 || offset > data.length - length) {
      throw new IndexOutOfBoundsException("offset " + offset + " length " + length + " of " + data.length);
    }
    this.data = data;
    this.pos = offset;
    this.limit = offset + length;
  }

  int position() {
    return pos;
  }

  int remaining() {
    return limit - pos;
  }

  byte[] array() {
    return data;
  }

  void require(int n, String what) throws PacketParseException {
    if (n < 0 || remaining() < n) {
      throw new PacketParseException(
          what + " truncated: needs " + n + " bytes at offset " + pos + ", only " + remaining() + " left");
    }
  }

  int u8(String what) throws PacketParseException {
    require(1, what);
    return data[pos++] & 0xFF;
  }

  int u16(String what) throws PacketParseException {
    require(2, what);
    int v = ((data[pos] & 0xFF) << 8) | (data[pos + 1] & 0xFF);
    pos += 2;
    return v;
  }

  long u32(String what) throws PacketParseException {
    require(4, what);
    long v = ((long) (data[pos] & 0xFF) << 24) | ((data[pos + 1] & 0xFF) << 16)
        | ((data[pos + 2] & 0xFF) << 8) | (data[pos + 3] & 0xFF);
    pos += 4;
    return v;
  }

  long u48(String what) throws PacketParseException {
    require(6, what);
    long v = 0;
    for (int i = 0; i < 6; i++) {
      v = (v << 8) | (data[pos + i] & 0xFF);
    }
    pos += 6;
    return v;
  }

  long u64(String what) throws PacketParseException {
    require(8, what);
    long v = 0;
    for (int i = 0; i < 8; i++) {
      v = (v << 8) | (data[pos + i] & 0xFF);
    }
    pos += 8;
    return v;
  }

  byte[] bytes(int n, String what) throws PacketParseException {
    require(n, what);
    byte[] out = new byte[n];
    System.arraycopy(data, pos, out, 0, n);
    pos += n;
    return out;
  }

  /** A reader over the next n bytes; this reader skips them. */
  ByteReader slice(int n, String what) throws PacketParseException {
    require(n, what);
    ByteReader r = new ByteReader(data, pos, n);
    pos += n;
    return r;
  }
}
