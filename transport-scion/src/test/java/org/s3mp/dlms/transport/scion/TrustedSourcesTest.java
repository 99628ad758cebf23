package org.s3mp.dlms.transport.scion;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.s3mp.dlms.transport.PduHandler;
import org.s3mp.scion.IsdAs;
import org.s3mp.scion.ScionAddress;
import org.s3mp.scion.ScionPath;
import org.s3mp.scion.daemon.PortRange;
import org.s3mp.scion.socket.ReceivedDatagram;
import org.s3mp.scion.socket.ScionDatagramSocket;

/** The meter's network-level access control: untrusted SCION sources never reach the DLMS layer. */
class TrustedSourcesTest {
  static final IsdAs METER_AS = IsdAs.parse("1-ff00:0:111");
  static final IsdAs HEAD_END_AS = IsdAs.parse("1-ff00:0:112");
  static final IsdAs OUTSIDER_AS = IsdAs.parse("1-ff00:0:113");
  static final IsdAs PARTNER_AS = IsdAs.parse("1-ff00:0:114");
  static final PortRange RANGE = new PortRange(31000, 32767);
  static final Duration WAIT = Duration.ofSeconds(5);

  @Test
  void parsesAsesAndHostsAndRejectsBadInput() {
    TrustedSources t = TrustedSources.parse(List.of("1-ff00:0:112,127.0.112.1", " 1-ff00:0:114 "));
    assertThat(t.isOpen()).isFalse();
    assertThat(t.format()).isEqualTo("1-ff00:0:112,127.0.112.1 1-ff00:0:114");
    assertThat(TrustedSources.parseList(t.format()).sources()).isEqualTo(t.sources());
    assertThat(TrustedSources.parse(List.of()).isOpen()).isTrue();
    assertThat(TrustedSources.parseList("  ").isOpen()).isTrue();
    assertThatThrownBy(() -> TrustedSources.parse(List.of("1-ff00:0:112,not-an-ip")))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("ISD-AS or ISD-AS,HOST");
    assertThatThrownBy(() -> TrustedSources.parse(List.of("meter")))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'meter'");
    assertThatThrownBy(() -> TrustedSources.parse(List.of("1-ff00:0:112,[127.0.112.1]:4059")))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("no port");
  }

  @Test
  void matchesHostsAndWholeAses() throws Exception {
    InetAddress headEnd = InetAddress.getByName("127.0.112.1");
    InetAddress other = InetAddress.getByName("127.0.112.2");
    TrustedSources t = TrustedSources.parse(List.of("1-ff00:0:112,127.0.112.1", "1-ff00:0:114"));
    assertThat(t.allows(new ScionAddress(HEAD_END_AS, headEnd, 31000))).isTrue();
    assertThat(t.allows(new ScionAddress(HEAD_END_AS, other, 31000))).isFalse();
    assertThat(t.allows(new ScionAddress(OUTSIDER_AS, headEnd, 31000))).isFalse();
    assertThat(t.allows(new ScionAddress(PARTNER_AS, other, 31000))).isTrue();
    assertThat(TrustedSources.open().allows(new ScionAddress(OUTSIDER_AS, other, 1))).isTrue();
  }

  @Test
  void untrustedDatagramsAreDroppedAndCountedBeforeTheHandler() throws Exception {
    InetAddress lo = InetAddress.getLoopbackAddress();
    List<String> handled = new CopyOnWriteArrayList<>();
    PduHandler handler = (peer, pdu, endpoint) -> {
      handled.add(new String(pdu, StandardCharsets.UTF_8));
      try {
        endpoint.send(peer, ("answer " + new String(pdu, StandardCharsets.UTF_8)).getBytes(StandardCharsets.UTF_8));
      } catch (java.io.IOException e) {
        throw new RuntimeException(e);
      }
    };
    TrustedSources trust = TrustedSources.parse(List.of(HEAD_END_AS + "," + lo.getHostAddress()));
    ScionPath toMeter = ScionPath.local(METER_AS, 1472, Instant.now().plusSeconds(3600));
    try (ScionDatagramSocket meterSocket = ScionDatagramSocket.open(METER_AS, lo, 0, RANGE, 1472);
        ScionDatagramSocket outsider = ScionDatagramSocket.open(OUTSIDER_AS, lo, 0, RANGE, 1472);
        ScionDatagramSocket otherHost = ScionDatagramSocket.open(HEAD_END_AS, InetAddress.getByName("127.0.0.2"), 0,
            RANGE, 1472);
        ScionDatagramSocket headEnd = ScionDatagramSocket.open(HEAD_END_AS, lo, 0, RANGE, 1472)) {
      ScionServerEndpoint meter = ScionServerEndpoint.start(meterSocket, handler, trust);
      try {
        ScionAddress at = meterSocket.localAddress();
        // the outsider's "AARQ" and a host of the trusted AS that is not the trusted head-end
        outsider.send("from outsider".getBytes(StandardCharsets.UTF_8), at, toMeter);
        outsider.send("from outsider again".getBytes(StandardCharsets.UTF_8), at, toMeter);
        otherHost.send("from another host".getBytes(StandardCharsets.UTF_8), at, toMeter);
        await().atMost(WAIT).until(() -> meter.droppedUntrusted() == 3);
        headEnd.send("request".getBytes(StandardCharsets.UTF_8), at, toMeter);
        ReceivedDatagram answer = headEnd.receive(WAIT);
        assertThat(answer).isNotNull();
        assertThat(new String(answer.payload(), StandardCharsets.UTF_8)).isEqualTo("answer request");
        assertThat(handled).containsExactly("request");
        assertThat(meter.droppedUntrusted()).isEqualTo(3);
        // nothing was answered to the untrusted senders
        assertThat(outsider.receive(Duration.ofMillis(200))).isNull();
      } finally {
        meter.close();
      }
    }
  }

  @Test
  void anOpenMeterServesEveryone() throws Exception {
    InetAddress lo = InetAddress.getLoopbackAddress();
    List<String> handled = new CopyOnWriteArrayList<>();
    PduHandler handler = (peer, pdu, endpoint) -> handled.add(new String(pdu, StandardCharsets.UTF_8));
    ScionPath toMeter = ScionPath.local(METER_AS, 1472, Instant.now().plusSeconds(3600));
    try (ScionDatagramSocket meterSocket = ScionDatagramSocket.open(METER_AS, lo, 0, RANGE, 1472);
        ScionDatagramSocket outsider = ScionDatagramSocket.open(OUTSIDER_AS, lo, 0, RANGE, 1472)) {
      ScionServerEndpoint meter = ScionServerEndpoint.start(meterSocket, handler, TrustedSources.open());
      try {
        outsider.send("hello".getBytes(StandardCharsets.UTF_8), meterSocket.localAddress(), toMeter);
        await().atMost(WAIT).until(() -> handled.contains("hello"));
        assertThat(meter.droppedUntrusted()).isZero();
      } finally {
        meter.close();
      }
    }
  }
}
