package org.s3mp.scion.packet;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.s3mp.scion.IsdAs;

/** Packets serialized by scionproto's pkg/slayers (see src/test/go/goldengen) decode and re-encode identically. */
class GoldenPacketTest {

  static byte[] resource(String name) throws IOException {
    try (InputStream in = GoldenPacketTest.class.getResourceAsStream("/golden/" + name)) {
      assertThat(in).as("test resource %s", name).isNotNull();
      return in.readAllBytes();
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"udp-std-ipv4.bin", "udp-empty-ipv6.bin", "scmp-echo-request.bin", "scmp-echo-reply.bin",
      "scmp-traceroute-reply.bin", "scmp-dest-unreachable.bin", "scmp-packet-too-big.bin",
      "scmp-parameter-problem.bin", "scmp-ext-if-down.bin", "scmp-int-conn-down.bin"})
  void decodesAndReencodesByteIdentical(String name) throws Exception {
    byte[] raw = resource("slayers/" + name);
    ScionPacket p = ScionPacket.decode(raw);
    assertThat(p.encode()).isEqualTo(raw);
  }

  @Test
  void udpOverStandardPathFields() throws Exception {
    ScionPacket p = ScionPacket.decode(resource("slayers/udp-std-ipv4.bin"));
    ScionHeader h = p.header();
    assertThat(h.trafficClass()).isEqualTo(0xb8);
    assertThat(h.flowId()).isEqualTo(0xdead);
    assertThat(h.srcIsdAs()).isEqualTo(IsdAs.parse("1-ff00:0:111"));
    assertThat(h.dstIsdAs()).isEqualTo(IsdAs.parse("1-ff00:0:112"));
    assertThat(h.srcHost().toString()).isEqualTo("127.0.0.11");
    assertThat(h.dstHost().toString()).isEqualTo("127.0.0.12");
    StandardPath path = (StandardPath) p.path();
    assertThat(path.numInf()).isEqualTo(2);
    assertThat(path.numHops()).isEqualTo(5);
    assertThat(path.seg0Len()).isEqualTo(2);
    assertThat(path.seg1Len()).isEqualTo(3);
    assertThat(path.infoFields().get(1).consDir()).isTrue();
    assertThat(path.infoFields().get(1).segId()).isEqualTo(0x222);
    assertThat(path.hopFields().get(3).consIngress()).isEqualTo(4);
    assertThat(path.hopFields().get(3).consEgress()).isEqualTo(5);
    UdpDatagram u = (UdpDatagram) p.l4();
    assertThat(u.srcPort()).isEqualTo(31001);
    assertThat(u.dstPort()).isEqualTo(4059);
    assertThat(new String(u.payload(), StandardCharsets.US_ASCII)).isEqualTo("hello, scion");
  }

  @Test
  void scmpBodies() throws Exception {
    ScmpMessage.ExternalInterfaceDown down =
        (ScmpMessage.ExternalInterfaceDown) ScionPacket.decode(resource("slayers/scmp-ext-if-down.bin")).l4();
    assertThat(down.isdAs()).isEqualTo(IsdAs.parse("1-ff00:0:110"));
    assertThat(down.interfaceId()).isEqualTo(2);
    assertThat(down.quote()).hasSize(19);

    ScmpMessage.InternalConnectivityDown icd =
        (ScmpMessage.InternalConnectivityDown) ScionPacket.decode(resource("slayers/scmp-int-conn-down.bin")).l4();
    assertThat(icd.isdAs()).isEqualTo(IsdAs.parse("1-ff00:0:120"));
    assertThat(icd.ingressId()).isEqualTo(3);
    assertThat(icd.egressId()).isEqualTo(4);

    ScmpMessage.Echo echo = (ScmpMessage.Echo) ScionPacket.decode(resource("slayers/scmp-echo-request.bin")).l4();
    assertThat(echo.type()).isEqualTo(ScmpMessage.ECHO_REQUEST);
    assertThat(echo.identifier()).isEqualTo(31001);
    assertThat(echo.sequence()).isEqualTo(7);
    assertThat(echo.data()).isEqualTo("ping-data".getBytes(StandardCharsets.US_ASCII));

    ScmpMessage.PacketTooBig ptb = (ScmpMessage.PacketTooBig) ScionPacket.decode(resource("slayers/scmp-packet-too-big.bin")).l4();
    assertThat(ptb.mtu()).isEqualTo(1280);
    ScmpMessage.ParameterProblem pp =
        (ScmpMessage.ParameterProblem) ScionPacket.decode(resource("slayers/scmp-parameter-problem.bin")).l4();
    assertThat(pp.code()).isEqualTo(51);
    assertThat(pp.pointer()).isEqualTo(0x42);
    ScmpMessage.DestinationUnreachable du =
        (ScmpMessage.DestinationUnreachable) ScionPacket.decode(resource("slayers/scmp-dest-unreachable.bin")).l4();
    assertThat(du.code()).isEqualTo(4);
    ScmpMessage.Traceroute tr = (ScmpMessage.Traceroute) ScionPacket.decode(resource("slayers/scmp-traceroute-reply.bin")).l4();
    assertThat(tr.isdAs()).isEqualTo(IsdAs.parse("1-ff00:0:110"));
    assertThat(tr.interfaceId()).isEqualTo(41);
  }

  @Test
  void reversalMatchesScionproto() throws Exception {
    StandardPath arrived = StandardPath.decode(resource("slayers/path-arrived.bin"));
    byte[] expected = resource("slayers/path-reversed.bin");
    assertThat(arrived.reversed().toBytes()).isEqualTo(expected);
    assertThat(arrived.reversed().currHf()).isZero();
    assertThat(arrived.reversed().currInf()).isZero();
    assertThat(arrived.reversed().reversed()).isEqualTo(arrived);
  }

  @Test
  void builtPacketEqualsScionprotoBytes() throws Exception {
    byte[] raw = resource("slayers/udp-std-ipv4.bin");
    ScionPacket decoded = ScionPacket.decode(raw);
    ScionHeader h = decoded.header();
    ScionPacket built = new ScionPacket(h, decoded.path(),
        new UdpDatagram(31001, 4059, "hello, scion".getBytes(StandardCharsets.US_ASCII)));
    assertThat(built.encode()).isEqualTo(raw);
    List<HopField> hops = ((StandardPath) decoded.path()).hopFields();
    assertThat(hops.get(0).mac()).containsExactly(1, 2, 3, 4, 5, 6);
  }
}
