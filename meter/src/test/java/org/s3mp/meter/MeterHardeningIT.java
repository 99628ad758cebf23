package org.s3mp.meter;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.math.BigDecimal;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.s3mp.dlms.MeterObjects;
import org.s3mp.dlms.client.ClientSecurity;
import org.s3mp.dlms.client.MeterClient;
import org.s3mp.dlms.security.KeysFile;
import org.s3mp.dlms.transport.MeterUrl;
import org.s3mp.testbed.LoopbackBlock;

/** The agent as a real process under hostile or careless use: threads, data directory, connection slots, crashes. */
class MeterHardeningIT {
  @TempDir Path dir;
  KeysFile keys = TestKeys.random();
  final List<Process> processes = new ArrayList<>();
  final List<Socket> sockets = new ArrayList<>();

  @AfterEach
  void stop() throws Exception {
    for (Socket s : sockets) {
      s.close();
    }
    for (Process p : processes) {
      p.destroy();
      if (!p.waitFor(10, TimeUnit.SECONDS)) {
        p.destroyForcibly();
      }
    }
  }

  record Agent(Process process, MeterUrl url) {}

  Process launch(Path data, String... extra) throws IOException {
    Path keyFile = dir.resolve("meter.keys");
    if (!Files.exists(keyFile)) {
      Files.writeString(keyFile, keys.format());
    }
    String classpath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
    List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", classpath, MeterAgentMain.class.getName(), "--simulated", "--seed", "7", "--data", data.toString(),
        "--keys", keyFile.toString(), "--listen", "tcp://127.0.0.1:0"));
    cmd.addAll(List.of(extra));
    Process p = new ProcessBuilder(cmd).start();
    processes.add(p);
    return p;
  }

  Agent start(Path data, String... extra) throws IOException {
    Process p = launch(data, extra);
    p.getErrorStream().close();
    BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
    String line = out.readLine();
    assertThat(line).as("agent start line").isNotNull().startsWith("listening ");
    return new Agent(p, MeterUrl.parse(line.substring("listening ".length())));
  }

  MeterClient client(MeterUrl url) throws IOException {
    return MeterClient.open(url, ClientSecurity.management(keys), Duration.ofSeconds(5));
  }

  static int threads(Process p) throws IOException {
    for (String l : Files.readAllLines(Path.of("/proc", Long.toString(p.pid()), "status"))) {
      if (l.startsWith("Threads:")) {
        return Integer.parseInt(l.substring("Threads:".length()).strip());
      }
    }
    throw new IllegalStateException("no thread count for " + p.pid());
  }

  static InetSocketAddress address(MeterUrl url) {
    MeterUrl.HostPort hp = url.hostPort();
    return new InetSocketAddress(hp.host(), hp.port());
  }

  /** One connection that sends an AARQ-tagged wrapper PDU of random bytes and closes. */
  static void junkAarq(MeterUrl url, int clientSap, SecureRandom random) throws IOException {
    byte[] junk = new byte[40];
    random.nextBytes(junk);
    byte[] pdu = new byte[8 + 1 + junk.length];
    pdu[1] = 1;
    pdu[3] = (byte) clientSap;
    pdu[5] = 1;
    pdu[7] = (byte) (1 + junk.length);
    pdu[8] = 0x60;
    System.arraycopy(junk, 0, pdu, 9, junk.length);
    try (Socket s = new Socket()) {
      s.connect(address(url), 5000);
      s.setSoTimeout(5000);
      OutputStream out = s.getOutputStream();
      out.write(pdu);
      out.flush();
      s.shutdownOutput();
      try {
        while (s.getInputStream().read() >= 0) {
          // the meter's answer, if any, until it closes
        }
      } catch (SocketTimeoutException ignored) {
        // no answer within 5 s: closing anyway
      }
    }
  }

  @Test
  void connectionsLeaveNoThreadsBehind() throws Exception {
    Agent a = start(dir.resolve("data"));
    SecureRandom random = new SecureRandom();
    for (int i = 0; i < 5; i++) {
      junkAarq(a.url(), MeterObjects.MANAGEMENT_CLIENT, random);
    }
    try (MeterClient c = client(a.url())) {
      c.readRegisters();
    }
    // the baseline once the JVM has warmed up (compiler threads come and go)
    await().atMost(Duration.ofSeconds(20)).until(() -> threads(a.process()) > 0);
    int baseline = threads(a.process());
    for (int i = 0; i < 50; i++) {
      junkAarq(a.url(), i % 2 == 0 ? MeterObjects.MANAGEMENT_CLIENT : MeterObjects.PUBLIC_CLIENT, random);
    }
    await().atMost(Duration.ofSeconds(20)).untilAsserted(
        () -> assertThat(threads(a.process())).as("threads after 50 connections").isLessThanOrEqualTo(baseline + 3));
  }

  @Test
  void secondAgentOnTheSameDataDirectoryRefusesToStart() throws Exception {
    Path data = dir.resolve("data");
    Agent first = start(data);
    Process second = launch(data);
    second.getOutputStream().close();
    assertThat(second.waitFor(30, TimeUnit.SECONDS)).as("second agent exits").isTrue();
    assertThat(second.exitValue()).isNotZero();
    String err = new String(second.getErrorStream().readAllBytes(), StandardCharsets.UTF_8).strip();
    assertThat(err).doesNotContain("\n").contains("in use by another meter agent");
    assertThat(new String(second.getInputStream().readAllBytes(), StandardCharsets.UTF_8)).doesNotContain("listening");
    try (MeterClient c = client(first.url())) {
      assertThat(c.readSerialNumber()).isNotBlank();
    }
    // the lock goes with the process: a new agent starts once the first is gone
    first.process().destroy();
    assertThat(first.process().waitFor(20, TimeUnit.SECONDS)).isTrue();
    Agent again = start(data);
    try (MeterClient c = client(again.url())) {
      assertThat(c.readSerialNumber()).isNotBlank();
    }
  }

  @Test
  void idleConnectionsCannotLockOutTheHeadEnd() throws Exception {
    Agent a = start(dir.resolve("data"), "--pre-association-timeout", "10");
    try (LoopbackBlock block = LoopbackBlock.claim()) {
      // the attacker from one loopback address of our block, the head-end from 127.0.0.1
      InetAddress attacker = InetAddress.getByName("127." + block.number() + ".9.9");
      for (int i = 0; i < 40; i++) {
        Socket s = new Socket();
        sockets.add(s);
        s.bind(new InetSocketAddress(attacker, 0));
        s.connect(address(a.url()), 5000);
      }
      try (MeterClient c = client(a.url())) {
        assertThat(c.readRegister(MeterObjects.VOLTAGE_L1).value().signum()).isPositive();
      }
      // read while the attacker's accepted connections were still held (within their 10 s)
      assertThat(sockets.stream().filter(MeterHardeningIT::open).count()).as("attacker connections held")
          .isPositive().isLessThanOrEqualTo(4);
      await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
          assertThat(sockets.stream().filter(MeterHardeningIT::open).count()).as("open after the timeout").isZero());
    }
  }

  @Test
  void anAssociatedClientOutlivesThePreAssociationTimeout() throws Exception {
    Agent a = start(dir.resolve("data"), "--pre-association-timeout", "1");
    for (ClientSecurity security : List.of(ClientSecurity.management(keys), ClientSecurity.publicClient())) {
      try (MeterClient c = MeterClient.open(a.url(), security, Duration.ofSeconds(5))) {
        c.readSerialNumber();
        // idle for three times the pre-association timeout on an established association
        await().pollDelay(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(4)).until(() -> true);
        assertThat(c.readSerialNumber()).as(security.toString()).isNotBlank();
      }
    }
  }

  /** Whether the meter has not closed this connection (a read neither ends nor fails within 50 ms). */
  private static boolean open(Socket s) {
    try {
      s.setSoTimeout(50);
      return s.getInputStream().read() >= 0;
    } catch (SocketTimeoutException e) {
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  @Test
  void energyRegisterNeverGoesBackwardsAfterKill9() throws Exception {
    Path data = dir.resolve("data");
    Agent a = start(data);
    BigDecimal[] served = new BigDecimal[1];
    try (MeterClient c = client(a.url())) {
      await().atMost(Duration.ofSeconds(40)).pollInterval(Duration.ofMillis(200)).until(() -> {
        served[0] = c.readRegister(MeterObjects.ACTIVE_ENERGY_IMPORT).value();
        return served[0].signum() > 0;
      });
    }
    a.process().destroyForcibly();
    assertThat(a.process().waitFor(10, TimeUnit.SECONDS)).isTrue();
    // what a restart restores, independent of how much the household draws until the next read
    java.util.Properties state = new java.util.Properties();
    if (Files.exists(data.resolve("state.properties"))) {
      try (var in = Files.newBufferedReader(data.resolve("state.properties"))) {
        state.load(in);
      }
    }
    assertThat(new BigDecimal(state.getProperty("simulated.energy.import.wh", "0"))).as("persisted energy")
        .isGreaterThanOrEqualTo(served[0]);
    Agent b = start(data);
    try (MeterClient c = client(b.url())) {
      assertThat(c.readRegister(MeterObjects.ACTIVE_ENERGY_IMPORT).value())
          .as("energy after kill -9").isGreaterThanOrEqualTo(served[0]);
    }
  }
}
