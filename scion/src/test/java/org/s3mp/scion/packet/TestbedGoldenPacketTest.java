package org.s3mp.scion.packet;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.s3mp.scion.IsdAs;

/**
 * Packets captured on the real scionproto testbed (golden/testbed, see its README): a UDP request and our reply
 * on the reversed path, each as sent and as it arrived through the border routers, and an SCMP echo answered
 * by scionproto's own end-host responder.
 */
class TestbedGoldenPacketTest {

  private static ScionPacket packet(String name) throws Exception {
    return ScionPacket.decode(GoldenPacketTest.resource("testbed/" + name));
  }

  @ParameterizedTest
  @ValueSource(strings = {"udp-request-sent.bin", "udp-request-arrived.bin", "udp-reply-sent.bin",
      "udp-reply-arrived.bin", "scmp-echo-request-sent.bin", "scmp-echo-reply-arrived.bin",
      "scmp-ext-if-down-from-router.bin"})
  void decodeAndReencodeByteIdentical(String name) throws Exception {
    byte[] raw = GoldenPacketTest.resource("testbed/" + name);
    assertThat(ScionPacket.decode(raw).encode()).isEqualTo(raw);
  }

  @Test
  void routersAdvancedThePathAndKeptTheRest() throws Exception {
    StandardPath sent = (StandardPath) packet("udp-request-sent.bin").path();
    StandardPath arrived = (StandardPath) packet("udp-request-arrived.bin").path();
    assertThat(sent.currHf()).isZero();
    assertThat(arrived.currHf()).isEqualTo(arrived.numHops() - 1);
    assertThat(arrived.currInf()).isEqualTo(arrived.numInf() - 1);
    assertThat(arrived.hopFields()).isEqualTo(sent.hopFields());
    UdpDatagram u = (UdpDatagram) packet("udp-request-arrived.bin").l4();
    assertThat(new String(u.payload(), StandardCharsets.US_ASCII)).isEqualTo("DLMS-request");
    assertThat(packet("udp-request-arrived.bin").header().srcIsdAs()).isEqualTo(IsdAs.parse("1-ff00:0:111"));
  }

  @Test
  void ourReversalIsWhatTheRealNetworkAccepted() throws Exception {
    StandardPath requestArrived = (StandardPath) packet("udp-request-arrived.bin").path();
    StandardPath replySent = (StandardPath) packet("udp-reply-sent.bin").path();
    assertThat(requestArrived.reversed()).isEqualTo(replySent);
    // The reply crossed the routers (MACs verified) and arrived with the path fully traversed.
    StandardPath replyArrived = (StandardPath) packet("udp-reply-arrived.bin").path();
    assertThat(replyArrived.currHf()).isEqualTo(replyArrived.numHops() - 1);
    assertThat(replyArrived.hopFields()).isEqualTo(replySent.hopFields());
    UdpDatagram u = (UdpDatagram) packet("udp-reply-arrived.bin").l4();
    assertThat(new String(u.payload(), StandardCharsets.US_ASCII)).isEqualTo("DLMS-response");
  }

  @Test
  void scionprotosReversalEqualsOurs() throws Exception {
    // scionproto's responder reversed the echo request's path itself; over the same path the echo reply must
    // arrive with exactly the path bytes our reply arrived with.
    ScionPacket echoReply = packet("scmp-echo-reply-arrived.bin");
    ScmpMessage.Echo e = (ScmpMessage.Echo) echoReply.l4();
    assertThat(e.type()).isEqualTo(ScmpMessage.ECHO_REPLY);
    assertThat(e.identifier()).isEqualTo(40111);
    assertThat(e.data()).isEqualTo("echo-data".getBytes(StandardCharsets.US_ASCII));
    assertThat(echoReply.path().toBytes()).isEqualTo(packet("udp-reply-arrived.bin").path().toBytes());
  }

  @Test
  void externalInterfaceDownFromARealRouterQuotesOurPacket() throws Exception {
    ScionPacket p = packet("scmp-ext-if-down-from-router.bin");
    ScmpMessage.ExternalInterfaceDown down = (ScmpMessage.ExternalInterfaceDown) p.l4();
    assertThat(down.isdAs()).isEqualTo(IsdAs.parse("1-ff00:0:111"));
    assertThat(down.interfaceId()).isEqualTo(1);
    ScionPacket quoted = ScionPacket.decode(down.quote());
    assertThat(((UdpDatagram) quoted.l4()).payload()).isEqualTo("probe".getBytes(StandardCharsets.US_ASCII));
    assertThat(quoted.header().srcIsdAs()).isEqualTo(IsdAs.parse("1-ff00:0:111"));
  }
}
