package org.s3mp.scion.packet;

import java.util.Arrays;

/** Growable big-endian writer for encoding. */
final class ByteWriter {
  private byte[] buf;
  private int len;

  ByteWriter(int capacity) {
    buf = new byte[Math.max(16, capacity)];
  }

  private void ensure(int n) {
    if (len + n > buf.length) {
      buf = Arrays.copyOf(buf, Math.max(buf.length * 2, len + n));
    }
  }

  int length() {
    return len;
  }

  ByteWriter u8(int v) {
    ensure(1);
    buf[len++] = (byte) v;
    return this;
  }

  ByteWriter u16(int v) {
    ensure(2);
    buf[len++] = (byte) (v >>> 8);
    buf[len++] = (byte) v;
    return this;
  }

  ByteWriter u32(long v) {
    ensure(4);
    for (int s = 24; s >= 0; s -= 8) {
      buf[len++] = (byte) (v >>> s);
    }
    return this;
  }

  ByteWriter u48(long v) {
    ensure(6);
    for (int s = 40; s >= 0; s -= 8) {
      buf[len++] = (byte) (v >>> s);
    }
    return this;
  }

  ByteWriter u64(long v) {
    ensure(8);
    for (int s = 56; s >= 0; s -= 8) {
      buf[len++] = (byte) (v >>> s);
    }
    return this;
  }

  ByteWriter bytes(byte[] b) {
    ensure(b.length);
    System.arraycopy(b, 0, buf, len, b.length);
    len += b.length;
    return this;
  }

  void putU16At(int offset, int v) {
    buf[offset] = (byte) (v >>> 8);
    buf[offset + 1] = (byte) v;
  }

  byte[] array() {
    return buf;
  }

  byte[] toByteArray() {
    return Arrays.copyOf(buf, len);
  }
}
