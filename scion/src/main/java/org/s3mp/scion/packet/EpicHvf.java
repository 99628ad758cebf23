package org.s3mp.scion.packet;

import java.security.GeneralSecurityException;
import java.time.Duration;
import java.time.Instant;
import javax.crypto.Cipher;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.s3mp.scion.EpicAuths;

/**
 * EPIC-HP hop validation fields as scionproto v0.15.1 computes and checks them (pkg/experimental/epic): an AES
 * CBC-MAC (zero IV, not CMAC) keyed with a hop authenticator over flags (source address length bits), the first
 * info field's timestamp, the PktID, source ISD-AS, source host and payload length, zero-padded to whole blocks;
 * the HVF is the first 4 bytes of the last block. The EPIC timestamp counts 21 µs steps since that info field's
 * timestamp (minus one); routers accept a packet for 2 s plus 1 s of clock skew.
 */
public final class EpicHvf {
  static final Duration RESOLUTION = Duration.ofNanos(21_000);
  private static final byte[] ZERO_IV = new byte[16];

  private EpicHvf() {}

  /**
   * The EPIC timestamp for a packet sent at {@code now} on a path whose first info field says
   * {@code infoTimestamp} (Unix seconds); refuses a future info timestamp or one more than ~1 day 63 min old.
   */
  public static long timestamp(long infoTimestamp, Instant now) {
    Instant info = Instant.ofEpochSecond(infoTimestamp);
    if (info.isAfter(now)) {
      throw new IllegalArgumentException("path info timestamp " + info + " is in the future (now " + now + ")");
    }
    long steps = Duration.between(info, now).toNanos() / RESOLUTION.toNanos() - 1;
    if (steps >= (1L << 32)) {
      throw new IllegalArgumentException("path info timestamp " + info + " is too old for an EPIC timestamp");
    }
    return Math.max(0, steps);
  }

  /** The 4-byte validation field for {@code auth} (16 bytes) over the given packet fields. */
  public static byte[] mac(byte[] auth, long epicTimestamp, long counter, ScionHeader h, long infoTimestamp,
      int payloadLength) {
    byte[] input = macInput(epicTimestamp, counter, h, infoTimestamp, payloadLength);
    try {
      Cipher aes = Cipher.getInstance("AES/CBC/NoPadding");
      aes.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(auth, "AES"), new IvParameterSpec(ZERO_IV));
      byte[] out = aes.doFinal(input);
      byte[] hvf = new byte[EpicPath.HVF_LENGTH];
      System.arraycopy(out, out.length - 16, hvf, 0, hvf.length);
      return hvf;
    } catch (GeneralSecurityException e) {
      throw new IllegalArgumentException("EPIC MAC: " + e.getMessage(), e);
    }
  }

  /** The CBC-MAC input: 1 + 4 + 8 + 8 + source host + 2 bytes, zero-padded to a multiple of 16. */
  static byte[] macInput(long epicTimestamp, long counter, ScionHeader h, long infoTimestamp, int payloadLength) {
    byte[] src = h.srcHost().rawUnsafe();
    int len = (23 + src.length + 15) / 16 * 16;
    ByteWriter w = new ByteWriter(len);
    w.u8(h.srcHost().typeCode() & 0x3).u32(infoTimestamp).u32(epicTimestamp).u32(counter)
        .u64(h.srcIsdAs().toLong()).bytes(src).u16(payloadLength);
    while (w.length() < len) {
      w.u8(0);
    }
    return w.toByteArray();
  }

  /**
   * Encodes {@code packet} (whose path must be a standard path) as an EPIC packet: same hops, a PktID of
   * {@code counter} and the EPIC timestamp of {@code now}, and the PHVF/LHVF of {@code auths}.
   */
  public static byte[] seal(ScionPacket packet, EpicAuths auths, long counter, Instant now) {
    if (!(packet.path() instanceof StandardPath sp)) {
      throw new IllegalArgumentException("EPIC needs a standard SCION path, not " + packet.path().getClass()
          .getSimpleName());
    }
    return sealAt(packet, sp, auths, timestamp(sp.infoFields().get(0).timestamp(), now), counter & 0xFFFFFFFFL);
  }

  static byte[] sealAt(ScionPacket packet, StandardPath sp, EpicAuths auths, long ts, long ctr) {
    long infoTs = sp.infoFields().get(0).timestamp();
    byte[] zero = new byte[EpicPath.HVF_LENGTH];
    ScionPacket draft = new ScionPacket(packet.header(), new EpicPath(ts, ctr, zero, zero, sp), packet.l4());
    byte[] wire = draft.encode();
    int headerBytes = ScionPacket.headerLength(draft.header(), draft.path());
    int payloadLength = wire.length - headerBytes;
    int hvfOffset = ScionHeader.COMMON_LENGTH + packet.header().addressLength() + 8;
    // The HVFs are outside the upper-layer checksum, so they can be filled in after encoding.
    System.arraycopy(mac(auths.authPhvf(), ts, ctr, packet.header(), infoTs, payloadLength), 0, wire, hvfOffset,
        EpicPath.HVF_LENGTH);
    System.arraycopy(mac(auths.authLhvf(), ts, ctr, packet.header(), infoTs, payloadLength), 0, wire,
        hvfOffset + EpicPath.HVF_LENGTH, EpicPath.HVF_LENGTH);
    return wire;
  }
}
