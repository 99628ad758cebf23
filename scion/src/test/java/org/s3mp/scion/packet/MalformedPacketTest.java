package org.s3mp.scion.packet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** Each kind of damage is rejected with the declared exception, a message naming the problem, and counted. */
class MalformedPacketTest {

  private static byte[] golden(String name) throws Exception {
    return GoldenPacketTest.resource("slayers/" + name);
  }

  private static void assertRejected(byte[] data, String messagePart) {
    long before = ScionPacket.malformedCount();
    assertThatThrownBy(() -> ScionPacket.decode(data)).isInstanceOf(PacketParseException.class)
        .hasMessageContaining(messagePart);
    assertThat(ScionPacket.malformedCount()).isGreaterThan(before);
  }

  @Test
  void truncatedEverywhere() throws Exception {
    byte[] raw = golden("udp-std-ipv4.bin");
    for (int len = 0; len < raw.length; len++) {
      byte[] cut = Arrays.copyOf(raw, len);
      assertThatThrownBy(() -> ScionPacket.decode(cut)).as("length %d", len).isInstanceOf(PacketParseException.class);
    }
    assertRejected(new byte[0], "common header truncated");
  }

  @Test
  void trailingBytes() throws Exception {
    byte[] raw = golden("udp-std-ipv4.bin");
    assertRejected(Arrays.copyOf(raw, raw.length + 1), "HdrLen and PayloadLen say");
  }

  @Test
  void badVersion() throws Exception {
    byte[] raw = golden("udp-std-ipv4.bin");
    raw[0] |= 0x10;
    assertRejected(raw, "unsupported SCION version 1");
  }

  @Test
  void badUdpChecksum() throws Exception {
    byte[] raw = golden("udp-std-ipv4.bin");
    raw[raw.length - 1] ^= 0x01; // payload bit flip
    assertRejected(raw, "UDP checksum");
  }

  @Test
  void zeroUdpChecksumIsNamed() throws Exception {
    byte[] raw = golden("udp-empty-ipv6.bin");
    int udp = raw.length - 8 - 3;
    raw[udp + 6] = 0;
    raw[udp + 7] = 0;
    assertRejected(raw, "did not compute it");
  }

  @Test
  void badScmpChecksum() throws Exception {
    byte[] raw = golden("scmp-ext-if-down.bin");
    raw[raw.length - 2] ^= 0x40;
    assertRejected(raw, "SCMP checksum");
  }

  @Test
  void unknownAddressType() throws Exception {
    byte[] raw = golden("udp-std-ipv4.bin");
    raw[9] = (byte) 0x10; // DT=1 DL=0: not defined
    assertRejected(raw, "destination host address type 0x1");
  }

  @Test
  void unsupportedPathAndNextHeader() throws Exception {
    byte[] raw = golden("udp-std-ipv4.bin");
    raw[8] = 2; // one-hop path: only routers and control services use it
    assertRejected(raw, "unsupported path type 2");
    byte[] epic = golden("udp-std-ipv4.bin");
    epic[8] = 3; // EPIC, but the bytes are a standard path without the 16-byte EPIC prefix
    assertRejected(epic, "segment lengths");
    byte[] raw2 = golden("udp-std-ipv4.bin");
    raw2[4] = (byte) 200; // hop-by-hop extension
    assertRejected(raw2, "unsupported next header 200");
  }

  @Test
  void pathMetaProblems() throws Exception {
    int meta = 12 + 16 + 8; // common + IAs + two IPv4 hosts
    byte[] raw = golden("udp-std-ipv4.bin");
    raw[meta] = (byte) 0xC0; // CurrINF 3
    assertRejected(raw, "CurrINF 3");
    byte[] raw2 = golden("udp-std-ipv4.bin");
    raw2[meta] = (byte) 0x05; // CurrHF 5 of 5 hops
    assertRejected(raw2, "CurrHF 5 points past");
    byte[] raw3 = golden("udp-std-ipv4.bin");
    raw3[meta] = (byte) 0x02; // CurrHF 2 is in segment 1, CurrINF 0
    assertRejected(raw3, "is in segment 1 but CurrINF is 0");
    byte[] raw4 = golden("udp-std-ipv4.bin");
    raw4[meta + 3] = (byte) (raw4[meta + 3] | 0x01); // Seg2Len 1: path length no longer matches HdrLen
    assertRejected(raw4, "segment lengths");
  }

  @Test
  void hdrLenTooSmall() throws Exception {
    byte[] raw = golden("udp-std-ipv4.bin");
    raw[5] = 2;
    assertRejected(raw, "HdrLen 2");
  }

  @Test
  void udpLengthMismatch() throws Exception {
    byte[] raw = golden("udp-empty-ipv6.bin");
    int udp = raw.length - 8 - 3;
    raw[udp + 5] = (byte) (raw[udp + 5] + 1);
    assertRejected(raw, "UDP length 12 does not match the SCION payload length 11");
  }
}
