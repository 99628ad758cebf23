package org.s3mp.meter;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.s3mp.dlms.MeterEvent;
import org.s3mp.dlms.MeterObjects;
import org.s3mp.dlms.client.ClientSecurity;
import org.s3mp.dlms.client.EventRecord;
import org.s3mp.dlms.client.MeterClient;
import org.s3mp.dlms.client.MeterException;
import org.s3mp.dlms.client.ProfileEntry;
import org.s3mp.dlms.client.RegisterReading;
import org.s3mp.dlms.client.RelayState;
import org.s3mp.dlms.security.KeysFile;
import org.s3mp.dlms.transport.MeterUrl;
import org.s3mp.meter.drivers.LoggingDisplay;
import org.s3mp.meter.drivers.LoggingRelay;

/** The simulated meter agent in-process, against the client API over loopback TCP. */
class MeterAgentTest {
  @TempDir Path dir;
  KeysFile keys = TestKeys.random();
  LoggingRelay relay = new LoggingRelay();
  LoggingDisplay display = new LoggingDisplay();
  MeterAgent agent;
  MeterUrl url;

  @BeforeEach
  void start() throws Exception {
    agent = start(900);
  }

  MeterAgent start(int capturePeriod) throws Exception {
    MeterAgent a = MeterAgent.start(new AgentConfig(dir, List.of(MeterUrl.parse("tcp://127.0.0.1:0")), keys,
        Sources.simulated(42), capturePeriod, relay, display, "TEST-1"));
    url = a.endpoints().get(0);
    return a;
  }

  @AfterEach
  void stop() {
    agent.close();
  }

  MeterClient management() throws Exception {
    return MeterClient.open(url, ClientSecurity.management(keys), Duration.ofSeconds(5));
  }

  @Test
  void simulatedHouseholdIsPlausible() throws Exception {
    try (MeterClient c = management()) {
      List<RegisterReading> r = c.readRegisters();
      assertThat(r).hasSize(MeterObjects.REGISTERS.size());
      assertThat(c.readRegister(MeterObjects.VOLTAGE_L1).value().doubleValue()).isBetween(225.0, 235.0);
      assertThat(c.readRegister(MeterObjects.FREQUENCY).value().doubleValue()).isBetween(49.9, 50.1);
      assertThat(c.readRegister(MeterObjects.ACTIVE_POWER_IMPORT).value().doubleValue()).isBetween(50.0, 5000.0);
      assertThat(c.readRegister(MeterObjects.VOLTAGE_L1).unit()).isEqualTo("V");
      assertThat(c.readSerialNumber()).isEqualTo("TEST-1");
    }
  }

  @Test
  void disconnectStopsLoadAndIsLogged() throws Exception {
    try (MeterClient c = management()) {
      assertThat(c.disconnect()).isEqualTo(new RelayState(false, RelayState.Control.DISCONNECTED));
      assertThat(relay.state()).isFalse();
      assertThat(c.readRegister(MeterObjects.ACTIVE_POWER_IMPORT).value()).isEqualByComparingTo("0");
      assertThat(c.readRegister(MeterObjects.CURRENT_L1).value()).isEqualByComparingTo("0");
      var energy = c.readRegister(MeterObjects.ACTIVE_ENERGY_IMPORT).value();
      assertThat(c.readRegister(MeterObjects.ACTIVE_ENERGY_IMPORT).value()).as("no energy while disconnected")
          .isEqualByComparingTo(energy);
      assertThat(c.readEventLog()).extracting(EventRecord::event).contains(MeterEvent.DISCONNECT);
      assertThat(c.reconnect()).isEqualTo(new RelayState(true, RelayState.Control.CONNECTED));
      assertThat(relay.state()).isTrue();
      assertThat(c.readEventLog()).extracting(EventRecord::event)
          .containsSubsequence(MeterEvent.AGENT_START, MeterEvent.DISCONNECT, MeterEvent.RECONNECT);
      assertThat(c.readRegister(MeterObjects.ACTIVE_POWER_IMPORT).value().signum()).as("power reconnected")
          .isPositive();
    }
  }

  @Test
  void clockSetsKeepTheLoadProfileConsistentAndAreLogged() throws Exception {
    agent.close();
    agent = start(1);
    try (MeterClient c = management()) {
      await("2 captures").atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(100))
          .until(() -> c.loadProfileEntries() >= 2);
      var energy = c.readRegister(MeterObjects.ACTIVE_ENERGY_IMPORT).value();

      Instant beforeForward = c.readClock();
      c.setClock(beforeForward.plusSeconds(30));
      // a forward set adds no energy (the simulated household integrates elapsed time, not the clock)
      assertThat(c.readRegister(MeterObjects.ACTIVE_ENERGY_IMPORT).value())
          .isBetween(energy, energy.add(java.math.BigDecimal.ONE));
      List<ProfileEntry> afterForward = c.readLoadProfile(1, 0);
      assertThat(afterForward.stream().filter(ProfileEntry::clockAdjusted).count())
          .as("the 29-30 capture times skipped are filled, marked clock-adjusted").isBetween(29L, 31L);
      assertThat(afterForward.get(afterForward.size() - 1).time())
          .isAfterOrEqualTo(beforeForward.plusSeconds(29));

      Instant beforeBack = c.readClock();
      c.setClock(beforeBack.minusSeconds(5));
      Instant newest = c.readLoadProfile(1, 0).get(c.loadProfileEntries() - 1).time();
      // captures resume once the clock passes the newest row again, about 5 s later
      await("a capture after the set back").atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(200))
          .until(() -> c.readLoadProfile(1, 0).stream().anyMatch(e -> e.time().isAfter(newest.plusSeconds(1))));
      List<ProfileEntry> all = c.readLoadProfile(1, 0);
      assertThat(org.s3mp.dlms.client.ProfileConsistency.problems(all, Duration.ofSeconds(1))).isEmpty();
      ProfileEntry firstAfterBack = all.stream().filter(e -> e.time().isAfter(newest)).findFirst().orElseThrow();
      assertThat(firstAfterBack.clockAdjusted()).as("the interval in which the clock was set back").isTrue();

      List<EventRecord> events = c.readEventLog();
      assertThat(events).extracting(EventRecord::event).containsSubsequence(
          MeterEvent.CLOCK_ADJUSTED_OLD_TIME, MeterEvent.CLOCK_ADJUSTED_NEW_TIME,
          MeterEvent.CLOCK_ADJUSTED_OLD_TIME, MeterEvent.CLOCK_ADJUSTED_NEW_TIME);
      EventRecord oldTime = events.stream().filter(e -> e.event() == MeterEvent.CLOCK_ADJUSTED_OLD_TIME)
          .reduce((a, b) -> b).orElseThrow();
      EventRecord newTime = events.get(events.indexOf(oldTime) + 1);
      assertThat(Duration.between(newTime.time(), oldTime.time()).toSeconds()).as("set back by 5 s")
          .isBetween(4L, 6L);
    }
  }

  @Test
  void messageGoesToTheDisplayAndSurvivesRestart() throws Exception {
    try (MeterClient c = management()) {
      c.setMessage("Wartung um 10:00 – bitte Geduld");
    }
    assertThat(display.text()).isEqualTo("Wartung um 10:00 – bitte Geduld");
    agent.close();
    display = new LoggingDisplay();
    agent = start(900);
    assertThat(display.text()).isEqualTo("Wartung um 10:00 – bitte Geduld");
    try (MeterClient c = management()) {
      assertThat(c.readMessage()).isEqualTo("Wartung um 10:00 – bitte Geduld");
      assertThatThrownBy(() -> c.setMessage("x".repeat(200))).isInstanceOf(IllegalArgumentException.class);
    }
  }

  @Test
  void loadProfileAccumulatesAndRangeIsExact() throws Exception {
    agent.close();
    agent = start(1);
    try (MeterClient c = management()) {
      await("5 captures").atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(200))
          .until(() -> c.loadProfileEntries() >= 5);
      List<ProfileEntry> all = c.readLoadProfile(1, 0);
      assertThat(all.size()).isGreaterThanOrEqualTo(5);
      for (int i = 1; i < all.size(); i++) {
        assertThat(all.get(i).time()).isAfter(all.get(i - 1).time());
        assertThat(all.get(i).values().get(0).value()).isGreaterThanOrEqualTo(all.get(i - 1).values().get(0).value());
      }
      Instant from = all.get(1).time();
      Instant to = all.get(3).time();
      assertThat(c.readLoadProfile(from, to)).extracting(ProfileEntry::time)
          .containsExactly(all.get(1).time(), all.get(2).time(), all.get(3).time());
      assertThat(c.readLoadProfile(2, 2)).extracting(ProfileEntry::time)
          .containsExactly(all.get(1).time(), all.get(2).time());
    }
  }

  @Test
  void publicClientCannotOperateTheRelay() throws Exception {
    try (MeterClient c = MeterClient.open(url, ClientSecurity.publicClient(), Duration.ofSeconds(5))) {
      assertThat(c.readSerialNumber()).isEqualTo("TEST-1");
      assertThatThrownBy(c::disconnect).isInstanceOf(MeterException.class);
      assertThatThrownBy(() -> c.setMessage("hi")).isInstanceOf(MeterException.class);
    }
    try (MeterClient c = management()) {
      assertThat(c.readRelay().outputConnected()).isTrue();
    }
  }

  @Test
  void wrongKeysAreRefusedAndLogged() throws Exception {
    KeysFile wrong = KeysFile.generate(keys.clientSystemTitle(), keys.serverSystemTitle());
    assertThatThrownBy(() -> MeterClient.open(url, ClientSecurity.management(wrong), Duration.ofSeconds(5)))
        .isInstanceOf(MeterException.class);
    try (MeterClient c = management()) {
      assertThat(c.readEventLog()).extracting(EventRecord::event).contains(MeterEvent.AUTHENTICATION_FAILED);
    }
  }

  @Test
  void replayedSessionIsRefused() throws Exception {
    MeterUrl rec = new MeterUrl("rec", url.address());
    RecordingTransport.REQUESTS.clear();
    try (MeterClient c = MeterClient.open(rec, ClientSecurity.management(keys), Duration.ofSeconds(5))) {
      c.disconnect();
    }
    List<byte[]> recorded = new ArrayList<>(RecordingTransport.REQUESTS);
    try (MeterClient c = management()) {
      c.reconnect();
    }
    // replay every recorded frame, in order, on a fresh connection
    List<byte[]> answers = new ArrayList<>();
    try (Socket s = new Socket(url.hostPort().host(), url.hostPort().port())) {
      s.setSoTimeout(2000);
      OutputStream out = s.getOutputStream();
      InputStream in = s.getInputStream();
      for (byte[] frame : recorded) {
        out.write(frame);
        out.flush();
        byte[] header = in.readNBytes(8);
        if (header.length < 8) {
          break;
        }
        byte[] body = in.readNBytes(((header[6] & 0xFF) << 8) | (header[7] & 0xFF));
        byte[] answer = java.util.Arrays.copyOf(header, 8 + body.length);
        System.arraycopy(body, 0, answer, 8, body.length);
        answers.add(answer);
      }
    } catch (java.net.SocketTimeoutException dropped) {
      // the meter may drop replayed frames without answering
    }
    // the replayed AARQ may get an AARE (with a fresh challenge); nothing after it may decrypt and be answered
    assertThat(recorded.size()).isGreaterThan(2);
    assertThat(answers).isNotEmpty();
    assertThat(answers).noneMatch(MeterAgentTest::isCipheredApdu);
    try (MeterClient c = management()) {
      assertThat(c.readRelay()).isEqualTo(new RelayState(true, RelayState.Control.CONNECTED));
      assertThat(c.readEventLog()).extracting(EventRecord::event).contains(MeterEvent.AUTHENTICATION_FAILED);
    }
  }

  @Test
  void requestReplayedInsideTheLiveAssociationIsRefused() throws Exception {
    RecordingTransport.REQUESTS.clear();
    try (MeterClient c = MeterClient.open(new MeterUrl("rec", url.address()), ClientSecurity.management(keys),
        Duration.ofSeconds(5))) {
      int first = RecordingTransport.REQUESTS.size();
      c.disconnect();
      List<byte[]> disconnect = new ArrayList<>(RecordingTransport.REQUESTS.subList(first,
          RecordingTransport.REQUESTS.size()));
      c.reconnect();
      byte[] last = RecordingTransport.REQUESTS.get(RecordingTransport.REQUESTS.size() - 1);
      // an attacker on the path re-sends genuine ciphered frames on the same, authenticated association: older
      // ones (the disconnect) and the very last one (counter equal to the floor Gurux alone would still accept)
      List<byte[]> replays = new ArrayList<>(disconnect);
      replays.add(last);
      for (byte[] frame : replays) {
        assertThat(isCipheredApdu(frame)).isTrue();
        byte[] answer;
        try {
          answer = RecordingTransport.lastLink.exchange(frame, Duration.ofMillis(500));
        } catch (IOException noAnswer) {
          answer = null; // refused frames are dropped
        }
        // the meter drops the frame or answers with an error, never with the service's normal response
        int service = answer == null || !isCipheredApdu(answer) ? -1 : decrypt(answer)[0] & 0xFF;
        assertThat(service).as("answer to a replayed frame").isNotIn(GET_RESPONSE, SET_RESPONSE, ACTION_RESPONSE);
      }
      assertThat(relay.state()).as("the replayed disconnect did nothing").isTrue();
      // the genuine client goes on with its next counter on the same association
      assertThat(c.readRelay()).isEqualTo(new RelayState(true, RelayState.Control.CONNECTED));
    }
    try (MeterClient c = management()) {
      assertThat(c.readEventLog()).extracting(EventRecord::event)
          .containsSubsequence(MeterEvent.DISCONNECT, MeterEvent.RECONNECT, MeterEvent.AUTHENTICATION_FAILED)
          .containsOnlyOnce(MeterEvent.DISCONNECT);
    }
  }

  static final int GET_RESPONSE = 0xC4;
  static final int SET_RESPONSE = 0xC5;
  static final int ACTION_RESPONSE = 0xC7;

  /** The plaintext APDU of a general-glo-ciphering answer from the meter (AES-GCM, authenticated, 96-bit tag). */
  byte[] decrypt(byte[] wrapperPdu) throws Exception {
    java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(wrapperPdu, 8, wrapperPdu.length - 8);
    assertThat(b.get() & 0xFF).as("general-glo-ciphering").isEqualTo(0xDB);
    byte[] title = new byte[b.get()];
    b.get(title);
    int len = b.get() & 0xFF;
    if (len > 0x80) {
      int n = len & 0x7F;
      len = 0;
      for (int i = 0; i < n; i++) {
        len = (len << 8) | (b.get() & 0xFF);
      }
    }
    byte sc = b.get();
    byte[] ic = new byte[4];
    b.get(ic);
    byte[] body = new byte[len - 5];
    b.get(body);
    byte[] iv = java.util.Arrays.copyOf(title, 12);
    System.arraycopy(ic, 0, iv, 8, 4);
    var gcm = javax.crypto.Cipher.getInstance("AES/GCM/NoPadding");
    gcm.init(javax.crypto.Cipher.DECRYPT_MODE, new javax.crypto.spec.SecretKeySpec(keys.encryptionKey(), "AES"),
        new javax.crypto.spec.GCMParameterSpec(96, iv));
    gcm.updateAAD(new byte[] {sc});
    gcm.updateAAD(keys.authenticationKey());
    return gcm.doFinal(body);
  }

  /** A wrapper PDU carrying a glo-/ded-ciphered APDU or general ciphering (what only a decrypting peer sends). */
  static boolean isCipheredApdu(byte[] wrapperPdu) {
    if (wrapperPdu.length <= 8) {
      return false;
    }
    int tag = wrapperPdu[8] & 0xFF;
    return (tag >= 0xC8 && tag <= 0xD7) || tag == 0xDB || tag == 0xDC || tag == 0xDD;
  }

  @Test
  void concurrentClientsEachGetTheirOwnAssociation() throws Exception {
    var pool = java.util.concurrent.Executors.newFixedThreadPool(4);
    try {
      List<java.util.concurrent.Future<Integer>> results = new ArrayList<>();
      for (int t = 0; t < 3; t++) {
        results.add(pool.submit(() -> {
          int ok = 0;
          try (MeterClient c = MeterClient.open(url, ClientSecurity.publicClient(), Duration.ofSeconds(5))) {
            for (int i = 0; i < 20; i++) {
              if (c.readSerialNumber().equals("TEST-1")) {
                ok++;
              }
              c.readClock();
            }
          }
          return ok;
        }));
      }
      results.add(pool.submit(() -> {
        int ok = 0;
        try (MeterClient c = management()) {
          for (int i = 0; i < 20; i++) {
            if (c.readRegisters().size() == MeterObjects.REGISTERS.size()) {
              ok++;
            }
          }
        }
        return ok;
      }));
      for (var f : results) {
        assertThat(f.get(60, java.util.concurrent.TimeUnit.SECONDS)).isEqualTo(20);
      }
    } finally {
      pool.shutdownNow();
    }
  }
}
