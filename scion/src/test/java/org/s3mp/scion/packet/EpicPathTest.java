package org.s3mp.scion.packet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;
import org.s3mp.scion.EpicAuths;
import org.s3mp.scion.IsdAs;

/**
 * EPIC-HP against scionproto v0.15.1: the layer against pkg/slayers/path/epic's test vectors, the MAC input
 * against pkg/experimental/epic's, and whole packets whose HVFs scionproto's CalcMac computed (goldengen).
 */
class EpicPathTest {
  // pkg/slayers/path/epic/epic_test.go: rawScionPath, rawScionReversePath and rawEpicPath
  static final byte[] RAW_SCION = hex("0000208000000111000001000100022200000100003f00010000010203040506003f00030002010203040506003f00000002010203040506003f00010000010203040506");
  static final byte[] RAW_SCION_REVERSED = hex("4300208000000222000001000100011100000100003f00010000010203040506003f00000002010203040506003f00030002010203040506003f00010000010203040506");
  static final byte[] RAW_EPIC = concat(hex("00000001020000030102030405060708"), RAW_SCION);
  // the authenticators goldengen hands to scionproto's CalcMac
  static final EpicAuths AUTHS = new EpicAuths("fcdc8202502d452e".getBytes(StandardCharsets.US_ASCII),
      "f5fcc4ce2250db36".getBytes(StandardCharsets.US_ASCII));

  static byte[] hex(String s) {
    return HexFormat.of().parseHex(s);
  }

  static byte[] concat(byte[] a, byte[] b) {
    byte[] out = new byte[a.length + b.length];
    System.arraycopy(a, 0, out, 0, a.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }

  static EpicPath decode(byte[] raw) throws PacketParseException {
    return EpicPath.decode(new ByteReader(raw, 0, raw.length), raw.length);
  }

  static byte[] encode(PathHeader p) {
    return p.toBytes();
  }

  @Test
  void decodesAndEncodesScionprotosEpicPath() throws Exception {
    EpicPath p = decode(RAW_EPIC);
    assertThat(p.timestamp()).isEqualTo(1);
    assertThat(p.counter()).isEqualTo(0x02000003L);
    assertThat(p.phvf()).containsExactly(1, 2, 3, 4);
    assertThat(p.lhvf()).containsExactly(5, 6, 7, 8);
    assertThat(p.scionPath()).isEqualTo(StandardPath.decode(RAW_SCION));
    assertThat(p.scionPath().seg0Len()).isEqualTo(2);
    assertThat(p.scionPath().seg1Len()).isEqualTo(2);
    assertThat(p.pathType()).isEqualTo(3);
    assertThat(p.length()).isEqualTo(RAW_EPIC.length);
    assertThat(encode(p)).isEqualTo(RAW_EPIC);
  }

  @Test
  void packetIdWithTheLargestTimestamp() throws Exception {
    EpicPath p = new EpicPath(0xFFFFFFFFL, 0x02000003L, new byte[4], new byte[4], StandardPath.decode(RAW_SCION));
    byte[] raw = encode(p);
    assertThat(java.util.Arrays.copyOf(raw, 8)).containsExactly(255, 255, 255, 255, 2, 0, 0, 3);
    assertThat(decode(raw)).isEqualTo(p);
  }

  @Test
  void refusesWrongFieldLengthsAndShortInput() throws Exception {
    StandardPath sp = StandardPath.decode(RAW_SCION);
    assertThatThrownBy(() -> new EpicPath(1, 2, new byte[3], new byte[4], sp)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new EpicPath(1, 2, new byte[4], new byte[5], sp)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new EpicPath(1, 2, new byte[4], new byte[4], null)).isInstanceOf(NullPointerException.class);
    assertThatThrownBy(() -> decode(java.util.Arrays.copyOf(RAW_EPIC, 15)))
        .isInstanceOf(PacketParseException.class).hasMessageContaining("prefix");
    assertThatThrownBy(() -> decode(java.util.Arrays.copyOf(RAW_EPIC, RAW_EPIC.length - 4)))
        .isInstanceOf(PacketParseException.class);
  }

  @Test
  void replyPathIsTheReversedStandardPath() throws Exception {
    PathHeader reply = decode(RAW_EPIC).reversed();
    assertThat(reply).isInstanceOf(StandardPath.class);
    assertThat(encode(reply)).isEqualTo(RAW_SCION_REVERSED);
  }

  // pkg/experimental/epic/epic_test.go TestPrepareMacInput
  @Test
  void macInputMatchesScionprotos() {
    ScionHeader h = ScionHeader.of(1, IsdAs.parse("1-ff00:0:110"), HostAddress.of(ip("10.0.0.1")),
        IsdAs.parse("2-ff00:0:222"), HostAddress.of(ip("10.0.0.100")));
    byte[] input = EpicHvf.macInput(1, 0x02000003L, h, 1257894000L, 120);
    assertThat(HexFormat.of().formatHex(input)).isEqualTo(
        "004af9f070" + "0000000102000003" + "0002ff0000000222" + "0a000064" + "0078" + "0000000000");
  }

  @ParameterizedTest
  @ValueSource(strings = {"epic-udp-ipv4.bin", "epic-udp-ipv6.bin"})
  void hvfsOfScionprotosPacketsAreOurs(String name) throws Exception {
    byte[] raw = GoldenPacketTest.resource("slayers/" + name);
    ScionPacket p = ScionPacket.decode(raw);
    assertThat(p.encode()).isEqualTo(raw);
    EpicPath e = (EpicPath) p.path();
    assertThat(e.timestamp()).isEqualTo(0x123456);
    assertThat(e.counter()).isEqualTo(0x0100002aL);
    long infoTs = e.scionPath().infoFields().get(0).timestamp();
    int payloadLength = raw.length - ScionPacket.headerLength(p.header(), e);
    assertThat(EpicHvf.mac(AUTHS.authPhvf(), e.timestamp(), e.counter(), p.header(), infoTs, payloadLength))
        .isEqualTo(e.phvf());
    assertThat(EpicHvf.mac(AUTHS.authLhvf(), e.timestamp(), e.counter(), p.header(), infoTs, payloadLength))
        .isEqualTo(e.lhvf());
    // and sealing the same packet over its standard path reproduces scionproto's bytes
    ScionPacket plain = new ScionPacket(p.header(), e.scionPath(), p.l4());
    assertThat(EpicHvf.sealAt(plain, e.scionPath(), AUTHS, e.timestamp(), e.counter())).isEqualTo(raw);
  }

  @Test
  void anyChangeOfTheCoveredFieldsChangesTheHvf() throws Exception {
    ScionPacket p = ScionPacket.decode(GoldenPacketTest.resource("slayers/epic-udp-ipv4.bin"));
    EpicPath e = (EpicPath) p.path();
    long ts = e.scionPath().infoFields().get(0).timestamp();
    int len = 8 + "hello, epic".length();
    byte[] good = EpicHvf.mac(AUTHS.authPhvf(), e.timestamp(), e.counter(), p.header(), ts, len);
    assertThat(good).isEqualTo(e.phvf());
    assertThat(EpicHvf.mac(AUTHS.authLhvf(), e.timestamp(), e.counter(), p.header(), ts, len)).isNotEqualTo(good);
    assertThat(EpicHvf.mac(AUTHS.authPhvf(), e.timestamp() + 1, e.counter(), p.header(), ts, len)).isNotEqualTo(good);
    assertThat(EpicHvf.mac(AUTHS.authPhvf(), e.timestamp(), e.counter() + 1, p.header(), ts, len)).isNotEqualTo(good);
    assertThat(EpicHvf.mac(AUTHS.authPhvf(), e.timestamp(), e.counter(), p.header(), ts - 10, len)).isNotEqualTo(good);
    assertThat(EpicHvf.mac(AUTHS.authPhvf(), e.timestamp(), e.counter(), p.header(), ts, len + 1)).isNotEqualTo(good);
    ScionHeader otherSource = new ScionHeader(0, 1, 0, p.header().dstIsdAs(), p.header().dstHost(),
        p.header().srcIsdAs(), HostAddress.of(ip("127.0.0.99")));
    assertThat(EpicHvf.mac(AUTHS.authPhvf(), e.timestamp(), e.counter(), otherSource, ts, len)).isNotEqualTo(good);
  }

  // pkg/experimental/epic/epic_test.go TestCreateTimestamp
  @Test
  void timestampCountsTwentyOneMicrosecondStepsSinceTheInfoField() {
    Instant now = Instant.ofEpochSecond(1_700_000_000L);
    long info = now.getEpochSecond();
    assertThat(EpicHvf.timestamp(info - 1, now)).isEqualTo(1_000_000_000L / 21_000 - 1);
    assertThat(EpicHvf.timestamp(info - 60, now)).isEqualTo(60_000_000_000L / 21_000 - 1);
    assertThat(EpicHvf.timestamp(info, now)).isZero();
    assertThat(EpicHvf.timestamp(info, now.plusNanos(20_000))).isZero();
    long day63 = Duration.ofHours(24).plusMinutes(63).toSeconds();
    assertThat(EpicHvf.timestamp(info - day63, now)).isEqualTo(day63 * 1_000_000_000L / 21_000 - 1);
    assertThatThrownBy(() -> EpicHvf.timestamp(info - day63 - 60, now)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("too old");
    assertThatThrownBy(() -> EpicHvf.timestamp(info + 1, now)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("future");
  }

  @Test
  void sealRefusesAnEmptyPath() {
    ScionHeader h = ScionHeader.of(1, IsdAs.parse("1-ff00:0:110"), HostAddress.of(ip("10.0.0.1")),
        IsdAs.parse("1-ff00:0:110"), HostAddress.of(ip("10.0.0.2")));
    ScionPacket p = new ScionPacket(h, EmptyPath.INSTANCE, new UdpDatagram(1, 2, new byte[0]));
    assertThatThrownBy(() -> EpicHvf.seal(p, AUTHS, 1, Instant.now())).isInstanceOf(IllegalArgumentException.class);
  }

  static java.net.InetAddress ip(String s) {
    try {
      return java.net.InetAddress.getByName(s);
    } catch (java.net.UnknownHostException e) {
      throw new IllegalArgumentException(e);
    }
  }
}
