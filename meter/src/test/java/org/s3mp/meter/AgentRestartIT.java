package org.s3mp.meter;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.s3mp.dlms.MeterEvent;
import org.s3mp.dlms.MeterObjects;
import org.s3mp.dlms.client.ClientSecurity;
import org.s3mp.dlms.client.EventRecord;
import org.s3mp.dlms.client.MeterClient;
import org.s3mp.dlms.client.ProfileEntry;
import org.s3mp.dlms.client.RelayState;
import org.s3mp.dlms.security.KeysFile;
import org.s3mp.dlms.transport.MeterUrl;

/** The agent as a real separate process: relay, message, load profile and events survive a restart. */
class AgentRestartIT {
  @TempDir Path dir;
  KeysFile keys = TestKeys.random();
  Process process;

  @AfterEach
  void stop() throws Exception {
    if (process != null) {
      process.destroy();
      if (!process.waitFor(10, TimeUnit.SECONDS)) {
        process.destroyForcibly();
      }
    }
  }

  MeterUrl startAgent() throws Exception {
    Path keyFile = dir.resolve("meter.keys");
    Files.writeString(keyFile, keys.format());
    String classpath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
    ProcessBuilder pb = new ProcessBuilder(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp", classpath,
        MeterAgentMain.class.getName(), "--simulated", "--seed", "7", "--data", dir.resolve("data").toString(),
        "--keys", keyFile.toString(), "--listen", "tcp://127.0.0.1:0", "--capture-period", "1");
    pb.redirectError(ProcessBuilder.Redirect.DISCARD);
    process = pb.start();
    BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
    // the agent prints "listening URL" once it serves; readLine returns null if it died
    String line = out.readLine();
    assertThat(line).as("agent start line").isNotNull().startsWith("listening ");
    return MeterUrl.parse(line.substring("listening ".length()));
  }

  void stopAgent() throws Exception {
    long pid = process.pid();
    process.destroy();
    assertThat(process.waitFor(20, TimeUnit.SECONDS)).as("agent " + pid + " stopped").isTrue();
    process = null;
  }

  MeterClient client(MeterUrl url) throws Exception {
    return MeterClient.open(url, ClientSecurity.management(keys), Duration.ofSeconds(5));
  }

  @Test
  void stateSurvivesRestart() throws Exception {
    MeterUrl url = startAgent();
    List<ProfileEntry> before;
    BigDecimal energy;
    try (MeterClient c = client(url)) {
      c.disconnect();
      c.setMessage("Strom gesperrt");
      await("3 captures").atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(200))
          .until(() -> c.loadProfileEntries() >= 3);
      before = c.readLoadProfile(1, 0);
      energy = c.readRegister(MeterObjects.ACTIVE_ENERGY_IMPORT).value();
      c.setClock(c.readClock().plus(Duration.ofHours(1)));
      assertThat(c.readRegister(MeterObjects.ACTIVE_ENERGY_IMPORT).value()).as("energy after a clock set")
          .isEqualByComparingTo(energy);
    }
    stopAgent();

    url = startAgent();
    try (MeterClient c = client(url)) {
      assertThat(c.readRelay()).isEqualTo(new RelayState(false, RelayState.Control.DISCONNECTED));
      assertThat(c.readRegister(MeterObjects.ACTIVE_POWER_IMPORT).value()).isEqualByComparingTo("0");
      assertThat(c.readMessage()).isEqualTo("Strom gesperrt");
      List<ProfileEntry> after = c.readLoadProfile(1, before.size());
      assertThat(after).isEqualTo(before);
      BigDecimal stored = c.readRegister(MeterObjects.ACTIVE_ENERGY_IMPORT).value();
      assertThat(stored).as("energy register survives the restart").isEqualByComparingTo(energy);
      assertThat(c.readEventLog()).extracting(EventRecord::event)
          .containsSubsequence(MeterEvent.AGENT_START, MeterEvent.DISCONNECT, MeterEvent.AGENT_START);
      assertThat(c.reconnect()).isEqualTo(new RelayState(true, RelayState.Control.CONNECTED));
      assertThat(c.readRegister(MeterObjects.ACTIVE_POWER_IMPORT).value().signum()).isPositive();
      c.setClock(c.readClock().plus(Duration.ofHours(1)));
      // a clock set is no elapsed time: the register moves by the seconds that passed only (< 1 Wh)
      assertThat(c.readRegister(MeterObjects.ACTIVE_ENERGY_IMPORT).value()).as("energy after a clock set")
          .isBetween(stored, stored.add(BigDecimal.ONE));
    }
    stopAgent();
    url = startAgent();
    try (MeterClient c = client(url)) {
      assertThat(c.readRelay().outputConnected()).isTrue();
    }
  }
}
