package org.s3mp.meter;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.s3mp.dlms.MeterObjects;
import org.s3mp.dlms.client.ClientSecurity;
import org.s3mp.dlms.client.MeterClient;
import org.s3mp.dlms.security.KeysFile;
import org.s3mp.dlms.transport.LinkOptions;
import org.s3mp.dlms.transport.LinkPath;
import org.s3mp.dlms.transport.MeterUrl;
import org.s3mp.testbed.Testbed;

/**
 * DLMS over SCION EPIC-HP (issue 17) on the real testbed: with {@code --epic} (LinkOptions.EPIC) or the policy key
 * {@code "epic": true} every request reaches the meter as an EPIC packet, which the routers only forward when its
 * validation fields are right; without it the requests use the standard path type.
 */
class EpicMeterIT {
  @TempDir static Path dir;
  static final KeysFile KEYS = TestKeys.random();
  static Testbed tb;
  static MeterAgent agent;
  static MeterUrl scion;

  @BeforeAll
  static void start() throws IOException {
    tb = Testbed.shared();
    agent = ConcentratorMeter.start(tb, dir, KEYS, 3, "IT-EPIC-1");
    scion = agent.endpoints().get(0);
  }

  @AfterAll
  static void stop() {
    if (agent != null) {
      agent.close();
    }
  }

  static MeterClient open(LinkOptions extra) throws IOException {
    LinkOptions o = ConcentratorMeter.fromHeadEnd(tb, Duration.ofSeconds(3));
    for (var e : extra.parameters().entrySet()) {
      o = o.with(e.getKey(), e.getValue());
    }
    return MeterClient.open(scion, ClientSecurity.management(KEYS), o);
  }

  @Test
  void readsOverEpicArriveAsEpicAndPlainReadsDoNot() throws IOException {
    long before = agent.receivedOverEpic();
    try (MeterClient c = open(LinkOptions.of(Duration.ZERO).with(LinkOptions.EPIC, "true"))) {
      assertThat(c.readSerialNumber()).isEqualTo("IT-EPIC-1");
      assertThat(c.readRegisters()).isNotEmpty();
      assertThat(c.readRegister(MeterObjects.VOLTAGE_L1).unit()).isEqualTo("V");
    }
    long overEpic = agent.receivedOverEpic() - before;
    // association, the reads and the release: every request datagram came as EPIC
    assertThat(overEpic).isGreaterThanOrEqualTo(4);
    System.out.printf("EPIC: %d DLMS request datagrams reached the meter over EPIC-HP%n", overEpic);

    long plainBefore = agent.receivedOverEpic();
    try (MeterClient c = open(LinkOptions.of(Duration.ZERO))) {
      assertThat(c.readSerialNumber()).isEqualTo("IT-EPIC-1");
    }
    assertThat(agent.receivedOverEpic()).as("without --epic nothing is sent as EPIC").isEqualTo(plainBefore);
  }

  @Test
  void thePolicyKeyAsksForEpicAndStillGeofences() throws IOException {
    long before = agent.receivedOverEpic();
    try (MeterClient c = open(LinkOptions.of(Duration.ZERO)
        .with(LinkOptions.PATH_POLICY, "{\"name\": \"isd1-epic\", \"allowed_isds\": [1], \"epic\": true}"))) {
      for (int i = 0; i < 20; i++) {
        c.readRegister(MeterObjects.ACTIVE_POWER_IMPORT);
        LinkPath p = c.lastPath().orElseThrow();
        assertThat(p.isds()).containsExactly(1);
      }
    }
    assertThat(agent.receivedOverEpic() - before).isGreaterThanOrEqualTo(20);
  }
}
