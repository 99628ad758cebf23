package org.s3mp.scion.packet;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Arrays;
import java.util.HexFormat;

/**
 * A host address in the SCION address header: its 4-bit type/length code (DT/DL: IPv4 0b0000, IPv6 0b0011,
 * service 0b0100) and its raw bytes (4, 16, or 4 for a service: 2-byte service number and 2 bytes padding).
 */
public final class HostAddress {
  public static final int IPV4 = 0x0;
  public static final int IPV6 = 0x3;
  public static final int SVC = 0x4;

  private final int typeCode;
  private final byte[] raw;

  private HostAddress(int typeCode, byte[] raw) {
    this.typeCode = typeCode;
    this.raw = raw;
  }

  public static HostAddress of(InetAddress ip) {
    if (ip instanceof Inet4Address) {
      return new HostAddress(IPV4, ip.getAddress());
    }
    if (ip instanceof Inet6Address) {
      return new HostAddress(IPV6, ip.getAddress());
    }
    throw new IllegalArgumentException("unsupported address " + ip);
  }

  public static HostAddress service(int svc) {
    return new HostAddress(SVC, new byte[] {(byte) (svc >>> 8), (byte) svc, 0, 0});
  }

  /** Byte length for a type code, or -1 if the code is not one SCION defines. */
  static int lengthOf(int typeCode) {
    return switch (typeCode) {
      case IPV4, SVC -> 4;
      case IPV6 -> 16;
      default -> -1;
    };
  }

  static HostAddress read(ByteReader r, int typeCode, String which) throws PacketParseException {
    int n = lengthOf(typeCode);
    if (n < 0) {
      throw new PacketParseException(
          which + " host address type 0x" + Integer.toHexString(typeCode) + " is not IPv4 (0x0), IPv6 (0x3) or SVC (0x4)");
    }
    return new HostAddress(typeCode, r.bytes(n, which + " host address"));
  }

  public int typeCode() {
    return typeCode;
  }

  public byte[] raw() {
    return raw.clone();
  }

  byte[] rawUnsafe() {
    return raw;
  }

  public boolean isService() {
    return typeCode == SVC;
  }

  /** The IP address; throws IllegalStateException for a service address. */
  public InetAddress ip() {
    if (isService()) {
      throw new IllegalStateException("service address has no IP: " + this);
    }
    try {
      return InetAddress.getByAddress(raw);
    } catch (UnknownHostException e) {
      throw new IllegalStateException(e); // cannot happen for 4/16 bytes
    }
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof HostAddress h && h.typeCode == typeCode && Arrays.equals(h.raw, raw);
  }

  @Override
  public int hashCode() {
    return typeCode * 31 + Arrays.hashCode(raw);
  }

  @Override
  public String toString() {
    if (isService()) {
      return "SVC:" + HexFormat.of().formatHex(raw, 0, 2);
    }
    return ip().getHostAddress();
  }
}
