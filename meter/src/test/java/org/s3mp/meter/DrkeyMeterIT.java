package org.s3mp.meter;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.s3mp.dlms.MeterEvent;
import org.s3mp.dlms.MeterObjects;
import org.s3mp.dlms.client.ClientSecurity;
import org.s3mp.dlms.client.MeterClient;
import org.s3mp.dlms.client.MeterException;
import org.s3mp.dlms.drkey.DlmsKeys;
import org.s3mp.dlms.drkey.DrkeyAssociationKeys;
import org.s3mp.dlms.drkey.DrkeyKeySource;
import org.s3mp.dlms.server.CosemServer;
import org.s3mp.dlms.transport.ClientLink;
import org.s3mp.dlms.transport.LinkOptions;
import org.s3mp.dlms.transport.MeterUrl;
import org.s3mp.dlms.transport.Transports;
import org.s3mp.meter.drivers.LoggingDisplay;
import org.s3mp.meter.drivers.LoggingRelay;
import org.s3mp.scion.ScionAddress;
import org.s3mp.scion.daemon.DaemonClient;
import org.s3mp.testbed.S3mpHome;
import org.s3mp.testbed.Testbed;
import org.s3mp.testbed.LoopbackBlock;
import org.slf4j.LoggerFactory;

/**
 * DRKey-keyed DLMS (issue 8) on its own testbed with 20-second DRKey epochs: no keys configured on the meter,
 * both ends derive the same keys, rotation loses no reading, and everybody else is refused.
 */
class DrkeyMeterIT {
  static final Duration EPOCH = Duration.ofSeconds(20);
  static final Duration GRACE = Duration.ofSeconds(5);
  @TempDir static Path dir;
  static Testbed tb;
  static LoopbackBlock block;
  static MeterAgent agent;
  static MeterUrl meterUrl;
  static ScionAddress meter;
  static final LoggingRelay RELAY = new LoggingRelay();
  static DaemonClient meterDaemon;
  static DaemonClient headEndDaemon;
  static final ListAppender<ILoggingEvent> LOG = new ListAppender<>();

  @BeforeAll
  static void start() throws IOException {
    block = LoopbackBlock.claim();
    Path runDir = S3mpHome.dir().resolve("run").resolve("drkey-it-" + block.number());
    Testbed.attach(runDir).ifPresent(DrkeyMeterIT::stopQuietly);
    tb = Testbed.start(Testbed.options(runDir).withTopology(block.topology())
        .withDrkeyEpoch(EPOCH));
    meterDaemon = DaemonClient.connect(daemon(tb.concentrator()));
    headEndDaemon = DaemonClient.connect(daemon(tb.headEnd()));
    String ip = tb.hostAddress(tb.concentrator()).getHostAddress();
    meter = ScionAddress.parse(tb.concentrator() + ",[" + ip + "]:4059");
    DrkeyAssociationKeys keys = new DrkeyAssociationKeys(new DrkeyKeySource(meterDaemon), meter,
        List.of(DrkeyAssociationKeys.TrustedHeadEnd.parse(tb.headEnd() + "," + tb.hostAddress(tb.headEnd())
            .getHostAddress())), GRACE, Clock.systemUTC());
    agent = MeterAgent.start(new AgentConfig(dir, List.of(MeterUrl.parse("scion://" + meter)), keys,
        Sources.simulated(3), 900, RELAY, new LoggingDisplay(), "IT-DRKEY-1",
        LinkOptions.of(Duration.ofSeconds(1)).with(LinkOptions.SCION_DAEMON, daemon(tb.concentrator()))));
    meterUrl = agent.endpoints().get(0);
    LOG.start();
    Logger serverLog = (Logger) LoggerFactory.getLogger(CosemServer.class);
    serverLog.setLevel(ch.qos.logback.classic.Level.INFO);
    serverLog.addAppender(LOG);
  }

  @AfterAll
  static void stop() {
    if (agent != null) {
      agent.close();
    }
    if (meterDaemon != null) {
      meterDaemon.close();
      headEndDaemon.close();
    }
    if (tb != null) {
      stopQuietly(tb);
    }
  }

  private static void stopQuietly(Testbed t) {
    try {
      t.stop();
    } catch (IOException e) {
      throw new RuntimeException(e);
    }
  }

  @BeforeEach
  void clearLog() {
    LOG.list.clear();
  }

  static String daemon(String ia) {
    InetSocketAddress a = tb.daemonAddress(ia);
    return a.getAddress().getHostAddress() + ":" + a.getPort();
  }

  static MeterClient open(MeterUrl url, ClientSecurity security, String daemon) throws IOException {
    return MeterClient.open(url, security,
        LinkOptions.of(Duration.ofSeconds(3)).with(LinkOptions.SCION_DAEMON, daemon));
  }

  static MeterClient headEnd() throws IOException {
    return open(meterUrl, ClientSecurity.fromNetwork(), daemon(tb.headEnd()));
  }

  private static String keyId(String securityInfo) {
    Matcher m = Pattern.compile("key id ([0-9a-f]+)").matcher(securityInfo);
    assertThat(m.find()).as(securityInfo).isTrue();
    return m.group(1);
  }

  @Test
  void readsDisconnectAndMessageWithKeysBothEndsDeriveIndependently() throws IOException {
    try (MeterClient c = headEnd()) {
      assertThat(c.readRegister(MeterObjects.VOLTAGE_L1).unit()).isEqualTo("V");
      assertThat(c.disconnect().outputConnected()).isFalse();
      assertThat(RELAY.state()).isFalse();
      c.setMessage("keys from DRKey");
      assertThat(c.readMessage()).isEqualTo("keys from DRKey");
      assertThat(c.reconnect().outputConnected()).isTrue();
      // the meter side's key for this pair, derived through the meter's own daemon
      ScionAddress headEndHost = ScionAddress.parse(tb.headEnd() + ",[" + tb.hostAddress(tb.headEnd())
          .getHostAddress() + "]:1");
      DlmsKeys atMeter = new DrkeyKeySource(meterDaemon).current(meter, headEndHost);
      String clientKeyId = keyId(c.securityInfo());
      assertThat(clientKeyId).isIn(atMeter.keyId(),
          new DrkeyKeySource(meterDaemon).previous(meter, headEndHost, atMeter).keyId());
      assertThat(c.securityInfo())
          .doesNotContain(java.util.HexFormat.of().formatHex(atMeter.keys().authenticationKey()));
    }
  }

  @Test
  void continuousReadingAcrossTwoEpochChangesLosesNothing() throws Exception {
    Set<String> keyIds = new LinkedHashSet<>();
    List<String> failures = new ArrayList<>();
    Instant end = Instant.now().plus(EPOCH.multipliedBy(2)).plusSeconds(5);
    int readings = 0;
    try (MeterClient c = headEnd()) {
      long next = System.nanoTime();
      while (Instant.now().isBefore(end)) {
        try {
          c.readRegister(MeterObjects.ACTIVE_POWER_IMPORT);
          readings++;
          keyIds.add(keyId(c.securityInfo()));
        } catch (MeterException e) {
          failures.add(e.getMessage());
        }
        next += Duration.ofMillis(500).toNanos();
        long wait = next - System.nanoTime();
        if (wait > 0) {
          Thread.sleep(wait / 1_000_000); // the reading schedule, not a synchronisation
        }
      }
    }
    System.out.printf("DRKey rotation: %d readings, key ids %s%n", readings, keyIds);
    assertThat(failures).isEmpty();
    assertThat(keyIds).hasSizeGreaterThanOrEqualTo(3); // two epoch changes
  }

  @Test
  void clientsWithStaticKeysOrFromAThirdAsAreRefusedAndLogged() throws IOException {
    Instant before = Instant.now();
    // static keys (what a meter with pre-shared keys would accept)
    var staticKeys = org.s3mp.dlms.security.KeysFile.generate(new byte[8], new byte[8]);
    assertThatThrownBy(() -> open(meterUrl, ClientSecurity.management(staticKeys), daemon(tb.headEnd())))
        .isInstanceOf(MeterException.class);
    // a host in a third AS with its own, valid DRKey for the meter, but not a trusted head-end
    String core = tb.topology().ases().keySet().stream().filter(ia -> tb.topology().as(ia).core()
        && ia.startsWith("1-")).findFirst().orElseThrow();
    assertThatThrownBy(() -> open(meterUrl, ClientSecurity.fromNetwork(), daemon(core)))
        .isInstanceOf(MeterException.class);
    // the trusted head-end's host, but with the key of two epochs ago
    ScionAddress headEndHost = ScionAddress.parse(tb.headEnd() + ",[" + tb.hostAddress(tb.headEnd())
        .getHostAddress() + "]:1");
    DlmsKeys old = new DrkeyKeySource(headEndDaemon).keysAt(meter, headEndHost,
        Instant.now().minus(EPOCH.multipliedBy(2)));
    assertThatThrownBy(() -> open(meterUrl, ClientSecurity.management(old.keys()), daemon(tb.headEnd()))).isInstanceOf(MeterException.class);

    assertThat(RELAY.state()).isTrue();
    List<String> logged = LOG.list.stream().map(ILoggingEvent::getFormattedMessage)
        .filter(m -> m.startsWith("authentication failure")).toList();
    assertThat(logged).hasSizeGreaterThanOrEqualTo(3)
        .anyMatch(m -> m.contains(core) && m.contains("not a trusted head-end"));
    try (MeterClient c = headEnd()) {
      assertThat(c.readEventLog()).anyMatch(e -> e.event() == MeterEvent.AUTHENTICATION_FAILED
          && !e.time().isBefore(before.minusSeconds(1)));
    }
  }

  @Test
  void aReplayedDisconnectIsRefusedAndExecutesNothing() throws IOException {
    RecordingTransport.REQUESTS.clear();
    MeterUrl recorded = new MeterUrl("recscion", meterUrl.address());
    try (MeterClient c = open(recorded, ClientSecurity.fromNetwork(),
        daemon(tb.headEnd()))) {
      c.disconnect();
      c.reconnect();
    }
    assertThat(RELAY.state()).isTrue();
    List<byte[]> session = List.copyOf(RecordingTransport.REQUESTS);
    assertThat(session).hasSizeGreaterThan(4);
    // an attacker on the path replays the whole recorded session, from another port of the same host
    try (ClientLink attacker = Transports.forUrl(meterUrl).connect(meterUrl,
        LinkOptions.of(Duration.ofMillis(500)).with(LinkOptions.SCION_DAEMON, daemon(tb.headEnd())))) {
      for (byte[] pdu : session.subList(0, session.size() - 2)) { // up to and including the disconnect
        try {
          attacker.exchange(pdu, Duration.ofMillis(500));
        } catch (java.net.SocketTimeoutException dropped) {
          // the meter may also just drop it
        }
      }
    }
    assertThat(RELAY.state()).as("relay after the replayed disconnect").isTrue();
    assertThat(LOG.list.stream().map(ILoggingEvent::getFormattedMessage))
        .anyMatch(m -> m.startsWith("authentication failure"));
  }
}
