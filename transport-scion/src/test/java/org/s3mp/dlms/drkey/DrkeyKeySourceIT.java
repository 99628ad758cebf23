package org.s3mp.dlms.drkey;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.InetSocketAddress;
import org.junit.jupiter.api.Test;
import org.s3mp.scion.ScionAddress;
import org.s3mp.scion.daemon.DaemonClient;
import org.s3mp.testbed.Testbed;

/** DRKey host keys from the real control services: both ends derive the same DLMS keys, others get none. */
class DrkeyKeySourceIT {

  @Test
  void meterAndHeadEndDeriveTheSameKeysIndependently() throws IOException {
    Testbed tb = Testbed.shared();
    ScionAddress meter = ScionAddress.parse(tb.concentrator() + ",[" + ip(tb, tb.concentrator()) + "]:4059");
    ScionAddress headEnd = ScionAddress.parse(tb.headEnd() + ",[" + ip(tb, tb.headEnd()) + "]:40000");
    try (DaemonClient meterSide = DaemonClient.connect(daemon(tb, tb.concentrator()));
        DaemonClient headEndSide = DaemonClient.connect(daemon(tb, tb.headEnd()))) {
      DlmsKeys atMeter = new DrkeyKeySource(meterSide).current(meter, headEnd);
      DlmsKeys atHeadEnd = new DrkeyKeySource(headEndSide).current(meter, headEnd);
      assertThat(atMeter.keyId()).isEqualTo(atHeadEnd.keyId());
      assertThat(atMeter.keys()).isEqualTo(atHeadEnd.keys());
      assertThat(atMeter.epochEnd()).isAfter(atMeter.epochBegin());
      // the direction: the head-end's host is the DRKey source, the meter the destination (so the meter's AS
      // fetches the level-1 key from the public head-end AS, which works under hidden paths too)
      java.time.Instant at = atMeter.epochBegin();
      assertThat(DrkeyKeySource.derive(headEndSide.drKeyHostHost(at, DrkeyKeySource.DEFAULT_PROTOCOL, headEnd, meter),
          meter, headEnd)).isEqualTo(atHeadEnd);
      assertThat(DrkeyKeySource.derive(meterSide.drKeyHostHost(at, DrkeyKeySource.DEFAULT_PROTOCOL, meter, headEnd),
          meter, headEnd).keyId()).isNotEqualTo(atMeter.keyId());

      // another protocol number gives other keys
      DlmsKeys otherProtocol = new DrkeyKeySource(meterSide, 4060, java.time.Clock.systemUTC()).current(meter, headEnd);
      assertThat(otherProtocol.keyId()).isNotEqualTo(atMeter.keyId());
      // the previous epoch has its own keys
      DrkeyKeySource source = new DrkeyKeySource(meterSide);
      assertThat(source.previous(meter, headEnd, atMeter).keyId()).isNotEqualTo(atMeter.keyId());
    }
  }

  @Test
  void aThirdAsGetsNoKeyForThePair() throws IOException {
    Testbed tb = Testbed.shared();
    String core = tb.topology().ases().keySet().stream().filter(ia -> tb.topology().as(ia).core()).findFirst().orElseThrow();
    ScionAddress meter = ScionAddress.parse(tb.concentrator() + ",[" + ip(tb, tb.concentrator()) + "]:4059");
    ScionAddress headEnd = ScionAddress.parse(tb.headEnd() + ",[" + ip(tb, tb.headEnd()) + "]:40000");
    try (DaemonClient third = DaemonClient.connect(daemon(tb, core))) {
      assertThatThrownBy(() -> new DrkeyKeySource(third).current(meter, headEnd))
          .isInstanceOf(IOException.class).hasMessageContaining("no DRKey");
    }
  }

  private static String ip(Testbed tb, String ia) {
    return tb.hostAddress(ia).getHostAddress();
  }

  private static String daemon(Testbed tb, String ia) {
    InetSocketAddress a = tb.daemonAddress(ia);
    return a.getAddress().getHostAddress() + ":" + a.getPort();
  }
}
