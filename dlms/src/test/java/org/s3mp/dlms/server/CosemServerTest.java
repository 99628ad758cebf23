package org.s3mp.dlms.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigDecimal;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.s3mp.dlms.MeterObjects;
import org.s3mp.dlms.client.ClientSecurity;
import org.s3mp.dlms.client.MeterClient;
import org.s3mp.dlms.client.MeterException;
import org.s3mp.dlms.client.ProfileEntry;
import org.s3mp.dlms.client.RegisterReading;
import org.s3mp.dlms.client.RelayState;
import org.s3mp.dlms.security.KeysFile;
import org.s3mp.dlms.transport.MeterUrl;
import org.s3mp.dlms.transport.ServerEndpoint;
import org.s3mp.dlms.transport.Transports;

/** The COSEM server and the client API against each other over loopback TCP. */
class CosemServerTest {
  @TempDir Path dir;
  InMemoryBackend backend;
  KeysFile keys;
  ServerEndpoint endpoint;
  MeterUrl url;
  FileCounterStore counters;
  CosemServer server;

  @BeforeEach
  void start() throws Exception {
    backend = new InMemoryBackend();
    keys = KeysFile.generate(new byte[] {'S', '3', 'M', 'P', 0, 0, 0, 1}, new byte[] {'S', '3', 'M', 'P', 0, 0, 1, 1});
    counters = new FileCounterStore(dir.resolve("counters"));
    server = new CosemServer(backend, keys, counters);
    endpoint = Transports.forUrl(MeterUrl.parse("tcp://127.0.0.1:0")).listen(MeterUrl.parse("tcp://127.0.0.1:0"), server);
    url = endpoint.localUrl();
  }

  @AfterEach
  void stop() {
    endpoint.close();
  }

  MeterClient management() throws Exception {
    return MeterClient.open(url, ClientSecurity.management(keys), Duration.ofSeconds(5));
  }

  @Test
  void anAssociationIdleForTheWrapperInactivityTimeoutIsReleased() throws Exception {
    // Gurux's own check (a Calendar per request) is off; the server applies the TCP-UDP setup's 180 s instead
    AtomicLong now = new AtomicLong(1_000_000_000L);
    server.clock = now::get;
    MeterClient c = MeterClient.open(url, ClientSecurity.management(keys), Duration.ofSeconds(1));
    try {
      assertThat(c.readSerialNumber()).isEqualTo("S3MP-TEST-1");
      now.addAndGet(179_000_000_000L);
      assertThat(c.readSerialNumber()).as("179 s after the last answer").isEqualTo("S3MP-TEST-1");
      now.addAndGet(180_000_000_000L);
      assertThatThrownBy(c::readSerialNumber).as("180 s after the last answer").isInstanceOf(Exception.class);
      assertThatThrownBy(c::readSerialNumber).as("and until the client associates again")
          .isInstanceOf(Exception.class);
    } finally {
      try {
        c.close();
      } catch (RuntimeException releaseRefused) {
        // the release of a released association goes unanswered
      }
    }
    try (MeterClient again = management()) {
      assertThat(again.readSerialNumber()).isEqualTo("S3MP-TEST-1");
    }
  }

  @Test
  void readsScaledRegistersWithKeys() throws Exception {
    try (MeterClient c = management()) {
      List<RegisterReading> all = c.readRegisters();
      assertThat(all).extracting(RegisterReading::line).containsExactly(
          "1.0.32.7.0.255 231.4 V",
          "1.0.31.7.0.255 1.234 A",
          "1.0.1.7.0.255 285.6 W",
          "1.0.2.7.0.255 0.0 W",
          "1.0.3.7.0.255 -12.5 var",
          "1.0.9.7.0.255 290.1 VA",
          "1.0.1.8.0.255 123456 Wh",
          "1.0.2.8.0.255 7 Wh",
          "1.0.14.7.0.255 49.98 Hz",
          "1.0.13.7.0.255 0.985");
      assertThat(c.readSerialNumber()).isEqualTo("S3MP-TEST-1");
    }
  }

  @Test
  void temporaryFailureIsReportedNotStale() throws Exception {
    backend.failing = MeterObjects.FREQUENCY;
    try (MeterClient c = management()) {
      assertThatThrownBy(() -> c.readRegister(MeterObjects.FREQUENCY))
          .isInstanceOf(MeterException.class)
          .satisfies(e -> assertThat(((MeterException) e).dlmsError()).isEqualTo("TEMPORARY_FAILURE"));
      assertThatThrownBy(() -> c.readRegisters()).isInstanceOf(MeterException.class)
          .hasMessageContaining("1.0.14.7.0.255");
      assertThat(c.readRegister(MeterObjects.VOLTAGE_L1).value()).isEqualByComparingTo("231.4");
    }
  }

  @Test
  void disconnectReconnectAndMessage() throws Exception {
    try (MeterClient c = management()) {
      assertThat(c.disconnect()).isEqualTo(new RelayState(false, RelayState.Control.DISCONNECTED));
      assertThat(backend.connected).isFalse();
      assertThat(c.readRegister(MeterObjects.ACTIVE_POWER_IMPORT).value()).isEqualByComparingTo("0");
      assertThat(c.reconnect()).isEqualTo(new RelayState(true, RelayState.Control.CONNECTED));
      c.setMessage("Zählerstand OK");
      assertThat(backend.message).isEqualTo("Zählerstand OK");
    }
  }

  @Test
  void messagesWithControlCharactersAreRefused() throws Exception {
    try (MeterClient c = management()) {
      c.setMessage("Zählerstand OK");
      for (String forged : List.of("ok\u0000\n21:00:00.000 INFO LoggingRelay - relay closed", "a\rb", "tab\there",
          "esc\u001b[2J", "c1\u0085", "ls\u2028")) {
        assertThatThrownBy(() -> c.setMessage(forged)).as(forged).isInstanceOf(MeterException.class);
      }
      assertThat(backend.message).isEqualTo("Zählerstand OK");
      assertThat(c.readMessage()).isEqualTo("Zählerstand OK");
    }
  }

  @Test
  void associationsLeaveNoGuruxCaptureThreads() throws Exception {
    // every association is a Gurux server instance; each used to start a capture thread that never ended
    for (int i = 0; i < 10; i++) {
      try (MeterClient c = i % 2 == 0 ? management()
          : MeterClient.open(url, ClientSecurity.publicClient(), Duration.ofSeconds(5))) {
        c.readSerialNumber();
      }
    }
    assertThat(Thread.getAllStackTraces().keySet())
        .noneMatch(t -> t.getClass().getSimpleName().equals("GXProfileGenericUpdater"));
  }

  @Test
  void publicClientReadsClockButCannotOperateRelay() throws Exception {
    try (MeterClient c = MeterClient.open(url, ClientSecurity.publicClient(), Duration.ofSeconds(5))) {
      assertThat(c.readSerialNumber()).isEqualTo("S3MP-TEST-1");
      assertThat(c.readClock()).isCloseTo(Instant.now(), org.assertj.core.api.Assertions.within(5, ChronoUnit.SECONDS));
      assertThatThrownBy(c::disconnect).isInstanceOf(MeterException.class);
      assertThatThrownBy(() -> c.readRegister(MeterObjects.VOLTAGE_L1)).isInstanceOf(MeterException.class);
    }
    assertThat(backend.connected).isTrue();
  }

  @Test
  void wrongKeysAreRefusedAndReported() throws Exception {
    KeysFile wrong = KeysFile.generate(keys.clientSystemTitle(), keys.serverSystemTitle());
    assertThatThrownBy(() -> MeterClient.open(url, ClientSecurity.management(wrong), Duration.ofSeconds(5)))
        .isInstanceOf(MeterException.class)
        .hasMessageContaining("refused");
    assertThat(backend.authFailures).isNotEmpty();
    try (MeterClient c = management()) {
      assertThat(c.readRegister(MeterObjects.VOLTAGE_L1).value()).isEqualByComparingTo("231.4");
    }
  }

  @Test
  void loadProfileByRangeAndEntry() throws Exception {
    Instant t0 = Instant.parse("2026-01-01T00:00:00Z");
    for (int i = 0; i < 10; i++) {
      backend.profile.add(new MeterBackend.ProfileRow(t0.plusSeconds(900L * i),
          List.of(BigDecimal.valueOf(1000 + i), BigDecimal.valueOf(i), new BigDecimal("12.5"))));
    }
    try (MeterClient c = management()) {
      assertThat(c.loadProfileEntries()).isEqualTo(10);
      List<ProfileEntry> range = c.readLoadProfile(t0.plusSeconds(900 * 2), t0.plusSeconds(900 * 5));
      assertThat(range).extracting(ProfileEntry::time)
          .containsExactly(t0.plusSeconds(1800), t0.plusSeconds(2700), t0.plusSeconds(3600), t0.plusSeconds(4500));
      assertThat(range.get(0).values().get(0).line()).isEqualTo("1.0.1.8.0.255 1002 Wh");
      List<ProfileEntry> entries = c.readLoadProfile(9, 5);
      assertThat(entries).extracting(ProfileEntry::time).containsExactly(t0.plusSeconds(7200), t0.plusSeconds(8100));
      assertThat(c.readLoadProfile(1, 0)).hasSize(10);
    }
  }

  @Test
  void invocationCounterIsReadFromTheSecurityHeader() {
    java.util.HexFormat hex = java.util.HexFormat.of();
    // general-glo-ciphering as our client sends it (system title, length, SC 0x30, IC 2), and a glo-get-request
    assertThat(CosemServer.requestInvocationCounter(
        hex.parseHex("000100010001002bdb0853334d5048450001203000000002bebc397ee47faf09c84e74bcd16b69e6f5621630")))
        .isEqualTo(2);
    assertThat(CosemServer.requestInvocationCounter(hex.parseHex("0001000100010000c81030fffffffe00"))).isEqualTo(0xFFFFFFFEL);
    assertThat(CosemServer.requestInvocationCounter(hex.parseHex("00010001000100006011"))).isEqualTo(-1);
    assertThat(CosemServer.requestInvocationCounter(hex.parseHex("0001000100010000db08"))).isEqualTo(-1);
    assertThat(CosemServer.requestInvocationCounter(hex.parseHex("0001000100010000"))).isEqualTo(-1);
  }

  @Test
  void serverCounterNeverRepeatsAcrossAssociations() throws Exception {
    long before = counters.serverCounter(keys.keyId());
    try (MeterClient c = management()) {
      c.readRegister(MeterObjects.VOLTAGE_L1);
    }
    long after = counters.serverCounter(keys.keyId());
    assertThat(after).isGreaterThan(before);
    try (MeterClient c = management()) {
      c.readRegister(MeterObjects.VOLTAGE_L1);
    }
    assertThat(counters.serverCounter(keys.keyId())).isGreaterThan(after);
    assertThat(counters.clientFloor(keys.keyId())).isGreaterThan(0);
  }

  @Test
  void aClientOvertakenByAnotherWithTheSameKeysWhileAssociatingReadsTheCounterAgain() throws Exception {
    // the race of two clients with one key set: both read the counter, the other one uses it first
    InterferingLink link = new InterferingLink(Transports.forUrl(url).connect(url, Duration.ofSeconds(5)), () -> {
      try (MeterClient other = management()) {
        other.readSerialNumber();
      }
    });
    try (MeterClient c = MeterClient.open(link, ClientSecurity.management(keys), Duration.ofSeconds(5))) {
      assertThat(link.interfered).as("the other client went first").isTrue();
      assertThat(c.readSerialNumber()).isEqualTo("S3MP-TEST-1");
    }
  }

  @Test
  void aClientOvertakenAgainAndAgainSaysWhy() throws Exception {
    InterferingLink link = new InterferingLink(Transports.forUrl(url).connect(url, Duration.ofSeconds(5)), () -> {
      try (MeterClient other = management()) {
        other.readSerialNumber();
      }
    });
    link.times = Integer.MAX_VALUE;
    assertThatThrownBy(() -> MeterClient.open(link, ClientSecurity.management(keys), Duration.ofSeconds(5)))
        .isInstanceOf(MeterException.class)
        .hasMessageContaining("another client is using the same keys");
  }

  @Test
  void floodPdusAreRefusedWithoutMovingTheCounterAndTheGenuineClientGoesOn() throws Exception {
    try (MeterClient c = management()) {
      c.readSerialNumber();
    }
    long floor = counters.clientFloor(keys.keyId());
    java.util.Random random = new java.util.Random(7);
    List<byte[]> flood = List.of(org.s3mp.dlms.client.FloodPdus.garbage(random, 64),
        org.s3mp.dlms.client.FloodPdus.associationRequest(ClientSecurity.publicClient()),
        org.s3mp.dlms.client.FloodPdus.staleRequest(keys, 1), org.s3mp.dlms.client.FloodPdus.staleRequest(keys, floor - 1));
    assertThat(flood.get(1)[8] & 0xFF).as("an AARQ").isEqualTo(0x60);
    assertThat(flood.get(2)[8] & 0xFF).as("a glo-get-request").isEqualTo(0xC8);
    for (byte[] pdu : flood) {
      try (org.s3mp.dlms.transport.ClientLink link = Transports.forUrl(url).connect(url, Duration.ofSeconds(2))) {
        byte[] answer = link.exchange(pdu, Duration.ofMillis(500));
        assertThat(answer.length > 8 && (answer[8] & 0xFF) == 0xCC).as("a ciphered GET response to a replay").isFalse();
      } catch (java.io.IOException refused) {
        // no answer or a closed connection: refused
      }
    }
    assertThat(counters.clientFloor(keys.keyId())).as("replays do not move the counter").isEqualTo(floor);
    try (MeterClient c = management()) {
      assertThat(c.readSerialNumber()).isEqualTo("S3MP-TEST-1");
    }
  }

  /** Runs another client's whole association just before this one sends its management AARQ. */
  static final class InterferingLink implements org.s3mp.dlms.transport.ClientLink {
    interface Interference {
      void run() throws Exception;
    }

    final org.s3mp.dlms.transport.ClientLink link;
    final Interference other;
    int times = 1;
    boolean interfered;

    InterferingLink(org.s3mp.dlms.transport.ClientLink link, Interference other) {
      this.link = link;
      this.other = other;
    }

    @Override
    public byte[] exchange(byte[] request, Duration timeout) throws java.io.IOException {
      boolean managementAarq = request.length > 8 && (request[8] & 0xFF) == 0x60 && isManagement(request);
      if (managementAarq && times > 0) {
        times--;
        try {
          other.run();
        } catch (Exception e) {
          throw new java.io.IOException("the interfering client failed: " + e, e);
        }
        interfered = true;
      }
      return link.exchange(request, timeout);
    }

    /** The wrapper header's source address: the management client is SAP 1. */
    private static boolean isManagement(byte[] wrapper) {
      return ((wrapper[2] & 0xFF) << 8 | (wrapper[3] & 0xFF)) == 1;
    }

    @Override
    public boolean datagram() {
      return link.datagram();
    }

    @Override
    public MeterUrl remote() {
      return link.remote();
    }

    @Override
    public void close() {
      link.close();
    }
  }
}
