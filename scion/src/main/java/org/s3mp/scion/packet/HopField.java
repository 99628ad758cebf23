package org.s3mp.scion.packet;

import java.util.Arrays;
import java.util.HexFormat;

/**
 * A SCION hop field (12 bytes): flags (bit 0 egress, bit 1 ingress router alert; others kept as read), the
 * expiry time unit, the interfaces in construction direction and the 6-byte MAC.
 */
public record HopField(int flags, int expTime, int consIngress, int consEgress, byte[] mac) {
  static final int LENGTH = 12;

  public HopField {
    if ((flags & ~0xFF) != 0 || (expTime & ~0xFF) != 0 || (consIngress & ~0xFFFF) != 0 || (consEgress & ~0xFFFF) != 0) {
      throw new IllegalArgumentException("hop field value out of range");
    }
    if (mac == null || mac.length != 6) {
      throw new IllegalArgumentException("hop field MAC must be 6 bytes");
    }
    mac = mac.clone();
  }

  @Override
  public byte[] mac() {
    return mac.clone();
  }

  /** Seconds after the info field's timestamp at which this hop expires: (1 + ExpTime) * 24 h / 256. */
  public double lifetimeSeconds() {
    return (1 + expTime) * 337.5;
  }

  static HopField read(ByteReader r) throws PacketParseException {
    int flags = r.u8("hop field flags");
    int exp = r.u8("hop field ExpTime");
    int in = r.u16("hop field ConsIngress");
    int eg = r.u16("hop field ConsEgress");
    byte[] mac = r.bytes(6, "hop field MAC");
    return new HopField(flags, exp, in, eg, mac);
  }

  void write(ByteWriter w) {
    w.u8(flags).u8(expTime).u16(consIngress).u16(consEgress).bytes(mac);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof HopField h && h.flags == flags && h.expTime == expTime && h.consIngress == consIngress
        && h.consEgress == consEgress && Arrays.equals(h.mac, mac);
  }

  @Override
  public int hashCode() {
    return ((flags * 31 + expTime) * 31 + consIngress) * 31 + consEgress + Arrays.hashCode(mac);
  }

  @Override
  public String toString() {
    return "HopField[in=" + consIngress + ", eg=" + consEgress + ", exp=" + expTime + ", mac="
        + HexFormat.of().formatHex(mac) + "]";
  }
}
