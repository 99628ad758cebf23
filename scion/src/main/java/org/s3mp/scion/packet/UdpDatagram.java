package org.s3mp.scion.packet;

import java.util.Arrays;

/**
 * SCION/UDP: the 8-byte UDP header and payload. The length must match the SCION payload length, and the
 * checksum over SCION's pseudo header is verified on decode and computed on encode.
 */
public record UdpDatagram(int srcPort, int dstPort, byte[] payload) implements L4Payload {
  static final int HEADER_LENGTH = 8;

  public UdpDatagram {
    if ((srcPort & ~0xFFFF) != 0 || (dstPort & ~0xFFFF) != 0) {
      throw new IllegalArgumentException("UDP port out of range");
    }
    payload = payload.clone();
    if (payload.length > 0xFFFF - HEADER_LENGTH) {
      throw new IllegalArgumentException("UDP payload too large: " + payload.length);
    }
  }

  @Override
  public byte[] payload() {
    return payload.clone();
  }

  /** The payload without copying; callers must not modify it. */
  byte[] payloadUnsafe() {
    return payload;
  }

  public int payloadLength() {
    return payload.length;
  }

  @Override
  public int protocol() {
    return ScionHeader.NEXT_HDR_UDP;
  }

  static UdpDatagram decode(ByteReader r, ScionHeader h) throws PacketParseException {
    int start = r.position();
    int total = r.remaining();
    int src = r.u16("UDP source port");
    int dst = r.u16("UDP destination port");
    int len = r.u16("UDP length");
    int sum = r.u16("UDP checksum");
    if (len != total) {
      throw new PacketParseException("UDP length " + len + " does not match the SCION payload length " + total);
    }
    if (h.checksum(r.array(), start, total, ScionHeader.NEXT_HDR_UDP) != 0) {
      throw new PacketParseException("UDP checksum 0x" + Integer.toHexString(sum) + " is wrong"
          + (sum == 0 ? " (0: the sender did not compute it)" : ""));
    }
    return new UdpDatagram(src, dst, r.bytes(len - HEADER_LENGTH, "UDP payload"));
  }

  void encode(ByteWriter w, ScionHeader h) {
    int start = w.length();
    w.u16(srcPort).u16(dstPort).u16(HEADER_LENGTH + payload.length).u16(0).bytes(payload);
    w.putU16At(start + 6, h.checksum(w.array(), start, HEADER_LENGTH + payload.length, ScionHeader.NEXT_HDR_UDP));
  }

  int encodedLength() {
    return HEADER_LENGTH + payload.length;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof UdpDatagram u && u.srcPort == srcPort && u.dstPort == dstPort && Arrays.equals(u.payload, payload);
  }

  @Override
  public int hashCode() {
    return (srcPort * 31 + dstPort) * 31 + Arrays.hashCode(payload);
  }

  @Override
  public String toString() {
    return "UDP[" + srcPort + "->" + dstPort + ", " + payload.length + " bytes]";
  }
}
