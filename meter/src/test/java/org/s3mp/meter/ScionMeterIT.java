package org.s3mp.meter;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.math.BigDecimal;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.s3mp.dlms.MeterObjects;
import org.s3mp.dlms.ObisCode;
import org.s3mp.dlms.client.ClientSecurity;
import org.s3mp.dlms.client.MeterClient;
import org.s3mp.dlms.client.MeterException;
import org.s3mp.dlms.client.ProfileEntry;
import org.s3mp.dlms.client.RegisterReading;
import org.s3mp.dlms.client.RelayState;
import org.s3mp.dlms.security.KeysFile;
import org.s3mp.dlms.transport.LinkOptions;
import org.s3mp.dlms.transport.scion.ScionTransport;
import org.s3mp.dlms.transport.LinkPath;
import org.s3mp.dlms.transport.MeterUrl;
import org.s3mp.meter.drivers.LoggingDisplay;
import org.s3mp.meter.drivers.LoggingRelay;
import org.s3mp.meter.store.LoadProfileStore;
import org.s3mp.testbed.Testbed;
import org.s3mp.testbed.TopologySpec.Interface;

/** DLMS natively over SCION (issue 7) on the real testbed: same answers as TCP, geofence, failover. */
class ScionMeterIT {
  @TempDir static Path dir;
  static final KeysFile KEYS = TestKeys.random();
  static final LoggingRelay RELAY = new LoggingRelay();
  static Testbed tb;
  static MeterAgent agent;
  static MeterUrl tcp;
  static MeterUrl scion;

  @BeforeAll
  static void start() throws IOException {
    tb = Testbed.shared();
    // two days of 15-minute load profile, as a meter would have collected them
    Instant end = Instant.ofEpochSecond(Instant.now().getEpochSecond() / 900 * 900);
    try (LoadProfileStore store = new LoadProfileStore(dir.resolve("load-profile.bin"), 900)) {
      int i = 0;
      for (Instant t = end.minus(Duration.ofDays(2)); t.isBefore(end); t = t.plusSeconds(900), i++) {
        List<BigDecimal> row = new ArrayList<>();
        for (int c = 0; c < MeterObjects.LOAD_PROFILE_COLUMNS.size(); c++) {
          row.add(BigDecimal.valueOf(1000 + i * 10L + c));
        }
        store.append(t, row);
      }
    }
    agent = MeterAgent.start(new AgentConfig(dir, List.of(MeterUrl.parse("tcp://127.0.0.1:0"),
        ConcentratorMeter.scionUrl(tb)), KEYS, Sources.simulated(7), 900, RELAY, new LoggingDisplay(), "IT-SCION-1",
        ConcentratorMeter.meterOptions(tb)));
    tcp = agent.endpoints().get(0);
    scion = agent.endpoints().get(1);
  }

  @AfterAll
  static void stop() {
    if (agent != null) {
      agent.close();
    }
  }

  static MeterClient overScion(String policy, Duration timeout) throws IOException {
    return MeterClient.open(scion, ClientSecurity.management(KEYS), ConcentratorMeter.fromHeadEnd(tb, timeout)
        .with(LinkOptions.PATH_POLICY, policy));
  }

  static MeterClient overTcp() throws IOException {
    return MeterClient.open(tcp, ClientSecurity.management(KEYS), Duration.ofSeconds(5));
  }

  @Test
  void operationsOverScionMatchTheSameOperationsOverTcp() throws IOException {
    Instant to = Instant.now();
    Instant from = to.minus(Duration.ofDays(2)).minusSeconds(900);
    List<ProfileEntry> profileOverScion;
    List<String> registersOverScion;
    try (MeterClient c = overScion(null, Duration.ofSeconds(3))) {
      assertThat(c.readSerialNumber()).isEqualTo("IT-SCION-1");
      registersOverScion = c.readRegisters().stream().map(r -> r.obis() + " " + r.unit()).toList();
      // ~200 rows: many DLMS blocks, each in its own datagram within the path MTU
      profileOverScion = c.readLoadProfile(from, to);
      assertThat(c.disconnect()).isEqualTo(new RelayState(false, RelayState.Control.DISCONNECTED));
      c.setMessage("maintenance on Friday");
      assertThat(c.lastPath()).isPresent();
    }
    assertThat(profileOverScion).hasSizeGreaterThanOrEqualTo(192);
    assertThat(RELAY.state()).isFalse();
    try (MeterClient c = overTcp()) {
      assertThat(c.readSerialNumber()).isEqualTo("IT-SCION-1");
      assertThat(c.readRegisters().stream().map(r -> r.obis() + " " + r.unit()).toList()).isEqualTo(registersOverScion);
      assertThat(c.readLoadProfile(from, to)).isEqualTo(profileOverScion);
      assertThat(c.readRelay().outputConnected()).isFalse();
      assertThat(c.readRegister(MeterObjects.ACTIVE_POWER_IMPORT).value()).isEqualByComparingTo("0");
      assertThat(c.readMessage()).isEqualTo("maintenance on Friday");
    }
    try (MeterClient c = overScion(null, Duration.ofSeconds(3))) {
      assertThat(c.reconnect().outputConnected()).isTrue();
      assertThat(c.readRegister(MeterObjects.ACTIVE_POWER_IMPORT).value()).isPositive();
    }
    assertThat(RELAY.state()).isTrue();
  }

  @Test
  void isd1OnlyReadingsRecordPathsInsideIsd1AndUnsatisfiablePoliciesFailClosed() throws IOException {
    try (MeterClient c = overScion("{\"name\": \"isd1-only\", \"allowed_isds\": [1]}", Duration.ofSeconds(3))) {
      for (int i = 0; i < 200; i++) {
        c.readRegister(MeterObjects.ACTIVE_POWER_IMPORT);
        LinkPath p = c.lastPath().orElseThrow();
        assertThat(p.isds()).containsExactly(1);
        assertThat(p.ases()).noneMatch(ia -> ia.startsWith("2-"));
      }
    }
    assertThatThrownBy(() -> overScion("{\"name\": \"only-via-france\", \"allowed_countries\": [\"FR\"]}",
        Duration.ofSeconds(3))).isInstanceOf(IOException.class).hasMessageContaining("only-via-france");
  }

  /**
   * Readings every 200 ms go on while the uplink they take is cut (they move to the other one) and after it is
   * restored (they move back once a probe finds it healthy): none fails. How fast the switch is, is measured by
   * {@code ./s3mp bench failover}, not asserted here.
   */
  @Test
  void cuttingTheActiveUplinkDuringContinuousReadingLosesNoReading() throws Exception {
    Interface cut = null;
    try (MeterClient c = overScion("{\"name\": \"isd1-only\", \"allowed_isds\": [1], \"order\": \"hops\"}",
        Duration.ofSeconds(3))) {
      Reads reads = new Reads(c);
      reads.until(10, p -> true);
      List<String> itfs = c.lastPath().orElseThrow().interfaces();
      cut = Interface.parse(itfs.get(itfs.size() - 1)); // where the readings enter the concentrator
      String cutItf = cut.toString();
      tb.linkDown(cut);
      reads.until(10, p -> !p.contains(cutItf));
      tb.linkUp(cut);
      reads.until(10, p -> p.contains(cutItf));
      assertThat(reads.failures).isEmpty();
      assertThat(reads.paths).hasSizeGreaterThanOrEqualTo(2);
    } finally {
      if (cut != null && tb.isLinkDown(cut)) {
        tb.linkUp(cut);
      }
    }
  }

  /** Reads every 200 ms, recording failures and the paths taken. */
  private static final class Reads {
    final MeterClient client;
    final List<String> failures = new ArrayList<>();
    final Set<String> paths = new LinkedHashSet<>();
    long next = System.nanoTime();

    Reads(MeterClient client) {
      this.client = client;
    }

    /** Reads until {@code n} readings in a row took a path (interfaces joined by spaces) that {@code ok} accepts. */
    void until(int n, java.util.function.Predicate<String> ok) throws InterruptedException {
      long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
      int inRow = 0;
      while (inRow < n) {
        assertThat(System.nanoTime()).as("readings settling within 60 s; paths so far " + paths).isLessThan(deadline);
        try {
          assertThat(client.readRegister(MeterObjects.ACTIVE_POWER_IMPORT).obis())
              .isEqualTo(MeterObjects.ACTIVE_POWER_IMPORT);
          String path = String.join(" ", client.lastPath().orElseThrow().interfaces());
          paths.add(path);
          inRow = ok.test(path) ? inRow + 1 : 0;
        } catch (IOException e) {
          failures.add(e.getMessage());
          inRow = 0;
        }
        next += Duration.ofMillis(200).toNanos();
        long wait = next - System.nanoTime();
        if (wait > 0) {
          Thread.sleep(wait / 1_000_000); // the reading schedule, not a synchronisation
        }
      }
    }
  }

  /**
   * Network-level access control: a meter trusting only the head-end's host reads fine from there, while a host
   * in another AS with the right keys gets no answer at all; its datagrams are counted as dropped.
   */
  @Test
  void aMeterTrustingOnlyTheHeadEndDropsOtherSourcesBeforeDlms(@TempDir Path trustedDir) throws IOException {
    String headEnd = tb.headEnd() + "," + tb.hostAddress(tb.headEnd()).getHostAddress();
    String other = tb.topology().asWithRole(org.s3mp.testbed.TopologySpec.Role.CORE); // a host outside the trust list
    try (MeterAgent trusting = MeterAgent.start(new AgentConfig(trustedDir, List.of(ConcentratorMeter.scionUrl(tb)),
        KEYS, Sources.simulated(8), 900, new LoggingRelay(), new LoggingDisplay(), "IT-SCION-TRUST",
        ConcentratorMeter.meterOptions(tb).with(ScionTransport.TRUST, headEnd)))) {
      MeterUrl url = trusting.endpoints().get(0);
      try (MeterClient c = MeterClient.open(url, ClientSecurity.management(KEYS),
          ConcentratorMeter.fromHeadEnd(tb, Duration.ofSeconds(3)))) {
        assertThat(c.readSerialNumber()).isEqualTo("IT-SCION-TRUST");
      }
      assertThat(trusting.droppedUntrusted()).isZero();
      assertThatThrownBy(() -> {
        try (MeterClient c = MeterClient.open(url, ClientSecurity.publicClient(), LinkOptions.of(
            Duration.ofSeconds(1)).with(LinkOptions.SCION_DAEMON, tb.daemonHostPort(other)))) {
          c.readSerialNumber();
        }
      }).isInstanceOf(IOException.class);
      assertThat(trusting.droppedUntrusted()).isPositive();
    }
  }

  @Test
  void withBothUplinksCutReadingsFailClearlyAndResumeByThemselves() throws Exception {
    Interface lte = Interface.parse(tb.concentrator() + "#1");
    Interface leased = Interface.parse(tb.concentrator() + "#2");
    try (MeterClient c = overScion("{\"name\": \"isd1-only\", \"allowed_isds\": [1]}", Duration.ofSeconds(1))) {
      c.readRegister(MeterObjects.ACTIVE_POWER_IMPORT);
      tb.linkDown(lte);
      tb.linkDown(leased);
      try {
        assertThatThrownBy(() -> c.readRegister(MeterObjects.ACTIVE_POWER_IMPORT))
            .isInstanceOf(MeterException.class).hasMessageContaining("no response");
      } finally {
        tb.linkUp(leased);
      }
      long deadline = System.nanoTime() + Duration.ofSeconds(45).toNanos();
      RegisterReading r = null;
      while (r == null && System.nanoTime() < deadline) {
        try {
          r = c.readRegister(MeterObjects.ACTIVE_POWER_IMPORT);
        } catch (MeterException stillDown) {
          // the selector re-probes the faulty paths by itself
        }
      }
      assertThat(r).as("readings resumed after a link came back").isNotNull();
      assertThat(c.lastPath().orElseThrow().interfaces()).doesNotContain(lte.toString());
    } finally {
      tb.linkUp(lte);
      if (tb.isLinkDown(leased)) {
        tb.linkUp(leased);
      }
    }
  }
}
