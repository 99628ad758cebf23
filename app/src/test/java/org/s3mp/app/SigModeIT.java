package org.s3mp.app;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;
import org.s3mp.dlms.client.ClientSecurity;
import org.s3mp.dlms.client.MeterClient;
import org.s3mp.dlms.security.KeysFile;
import org.s3mp.dlms.transport.MeterUrl;
import org.s3mp.testbed.SigNetwork;
import org.s3mp.testbed.Testbed;
import org.s3mp.testbed.LoopbackBlock;

/**
 * SIG mode end to end, as a user runs it: {@code testbed up --sig}, an ordinary TCP meter in the concentrator's
 * namespace read, disconnected and asked for its load profile through the SCION-IP gateways, the benchmark of all
 * three modes, and {@code testbed down} leaving no namespace, device, route or process behind.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class SigModeIT {
  private static LoopbackBlock block;
  private static int b;
  @TempDir static Path tmp;
  private static Path runDir;
  private static SigNetwork sig;
  private static Process meter;
  private static String url;
  private static Path keys;

  @BeforeAll
  static void up() throws Exception {
    runDir = tmp.resolve("tb");
    Path topo = tmp.resolve("topo.yaml");
    new ObjectMapper(new YAMLFactory()).writeValue(topo.toFile(), (block = LoopbackBlock.claim()).topology());
    b = block.number();
    Cli.Result r = Cli.run("testbed", "up", "--sig", "--dir", runDir.toString(), "--topology", topo.toString());
    assertThat(r.exitCode()).as(r.out() + r.err()).isZero();
    assertThat(r.out()).contains("meter LAN 198.19." + b + ".16/28", "s3mp" + b + "-concentrator",
        "tcp://198.19." + b + ".17:4059");
    sig = Testbed.attach(runDir).orElseThrow().sig().orElseThrow();

    keys = tmp.resolve("meter.keys");
    url = "tcp://" + sig.meterAddress().getHostAddress() + ":4059";
    List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", System.getProperty("java.class.path"), S3mp.class.getName(), "meter", "--simulated", "--listen", url,
        "--data", tmp.resolve("meter").toString(), "--keys", keys.toString(), "--generate-keys",
        "--capture-period", "1"));
    meter = new ProcessBuilder(sig.inMeterNamespace(cmd)).redirectErrorStream(true)
        .redirectOutput(tmp.resolve("meter.log").toFile()).start();
  }

  @AfterAll
  static void cleanUp() throws Exception {
    if (meter != null) {
      meter.destroy();
      meter.waitFor(10, TimeUnit.SECONDS);
    }
    // normally down() has already run; this only guards against a failed test leaving the testbed up
    var tb = Testbed.attach(runDir);
    if (tb.isPresent()) {
      tb.get().stop();
    }
  }

  @Test
  @Order(1)
  void plainTcpMeterIsReadDisconnectedAndProfiledThroughTheGateways() throws Exception {
    KeysFile k = awaitKeys();
    long tunnelPacketsBefore = tunnelPackets();
    awaitMeter(k).close();
    // one management association at a time (the meter refuses a second with the same keys): CLI first
    Cli.Result read = Cli.run("read", url, "--keys", keys.toString(), "1.0.1.7.0.255", "1.0.32.7.0.255");
    assertThat(read.exitCode()).as(read.err()).isZero();
    assertThat(read.out()).contains("1.0.1.7.0.255 ", " W", "1.0.32.7.0.255 ", " V");
    Cli.Result off = Cli.run("disconnect", url, "--keys", keys.toString());
    assertThat(off.exitCode()).as(off.err()).isZero();
    assertThat(Cli.run("read", url, "--keys", keys.toString(), "0.0.96.3.10.255").out()).contains("disconnected");
    assertThat(Cli.run("reconnect", url, "--keys", keys.toString()).exitCode()).isZero();
    assertThat(Cli.run("read", url, "--keys", keys.toString(), "0.0.96.3.10.255").out()).contains("connected")
        .doesNotContain("disconnected");

    try (MeterClient client = awaitMeter(k)) {
      org.awaitility.Awaitility.await("3 load profile entries").atMost(Duration.ofSeconds(30))
          .pollInterval(Duration.ofMillis(200)).until(() -> client.loadProfileEntries() >= 3);
      var profile = client.readLoadProfile(1, 3);
      assertThat(profile).hasSize(3);
      assertThat(profile.get(2).time()).isAfter(profile.get(0).time());
    }
    // the meter is reachable only through the head-end's gateway: its tunnel carried all of this
    assertThat(tunnelPackets()).isGreaterThan(tunnelPacketsBefore + 20);
  }

  @Test
  @Order(2)
  void benchOfAllThreeModesProducesEveryOutput() throws Exception {
    Path out = tmp.resolve("bench");
    Cli.Result r = Cli.run("bench", "delay", "--mode", "all", "--readings", "50", "--interval", "20", "--warmup",
        "10", "--out", out.toString(), "--testbed-dir", runDir.toString());
    assertThat(r.exitCode()).as(r.out() + r.err()).isZero();
    JsonNode summary = new ObjectMapper().readTree(out.resolve("summary.json").toFile());
    for (String mode : new String[] {"native", "sig", "ip"}) {
      JsonNode m = summary.path(mode);
      assertThat(m.path("delay").path("count").asInt()).as(mode).isEqualTo(50);
      assertThat(m.path("delay").path("failures").asInt()).as(mode).isZero();
      assertThat(m.path("delay").path("mean").asDouble()).as(mode).isPositive();
      assertThat(m.path("meterRssMb").asDouble()).as(mode).isPositive();
      assertThat(m.path("meterCpuPercent").asDouble()).as(mode).isGreaterThan(0);
      List<String> csv = Files.readAllLines(out.resolve("delays-" + mode + ".csv"));
      assertThat(csv).hasSize(51);
      // the summary is the statistics of the readings in the CSV (nearest-rank percentiles, mean, max)
      long[] us = csv.stream().skip(1).map(l -> l.split(",")).peek(f -> assertThat(f[3]).as(mode).isEqualTo("true"))
          .mapToLong(f -> Long.parseLong(f[2])).sorted().toArray();
      assertThat(m.path("delay").path("p50").asDouble()).as(mode + " p50").isEqualTo(us[24] / 1000.0);
      assertThat(m.path("delay").path("p95").asDouble()).as(mode + " p95").isEqualTo(us[47] / 1000.0);
      assertThat(m.path("delay").path("max").asDouble()).as(mode + " max").isEqualTo(us[49] / 1000.0);
      assertThat(m.path("delay").path("mean").asDouble()).as(mode + " mean")
          .isCloseTo(java.util.Arrays.stream(us).average().orElseThrow() / 1000.0, org.assertj.core.data.Offset.offset(1e-6));
    }
    assertThat(summary.at("/sig/meterSideProcesses").size()).isEqualTo(2);
    assertThat(summary.at("/sig/meterUrl").asText()).startsWith("tcp://198.19." + b + ".17:");
    assertThat(summary.path("native").path("pathRoundTripMs").asDouble()).isPositive();
    assertThat(Files.readAllLines(out.resolve("delays-native.csv")).get(1)).contains("1-ff00:0:112");
    byte[] png = Files.readAllBytes(out.resolve("cdf.png"));
    assertThat(png).startsWith((byte) 0x89, (byte) 'P', (byte) 'N', (byte) 'G');
    // the report's ratios are this run's numbers, not constants
    double nativeMean = summary.at("/native/delay/mean").asDouble();
    assertThat(Files.readString(out.resolve("report.md"))).contains("| native |", "| sig |", "| ip |",
        String.format(java.util.Locale.ROOT, "- sig / native (mean delay): %.2f",
            summary.at("/sig/delay/mean").asDouble() / nativeMean),
        String.format(java.util.Locale.ROOT, "- native / ip (mean delay): %.2f",
            nativeMean / summary.at("/ip/delay/mean").asDouble()),
        String.format(java.util.Locale.ROOT, "| native | 50 | 0 | %.3f | %.3f |", nativeMean,
            summary.at("/native/delay/p50").asDouble()));
  }

  @Test
  @Order(3)
  void downLeavesNoNamespaceDeviceRouteOrProcess() throws Exception {
    List<Long> pids = Testbed.attach(runDir).orElseThrow().processes().stream()
        .map(Testbed.ProcessStatus::pid).toList();
    Cli.Result r = Cli.run("testbed", "down", "--dir", runDir.toString());
    assertThat(r.exitCode()).as(r.err()).isZero();
    assertThat(r.out()).contains("stopped " + pids.size() + " processes");
    assertThat(run("ip", "netns", "list")).doesNotContain(sig.namespaces().toArray(String[]::new));
    for (String dev : sig.rootDevices()) {
      assertThat(Path.of("/sys/class/net", dev)).doesNotExist();
    }
    assertThat(run("ip", "route", "show")).doesNotContain("198.19." + b + ".", "198.18." + b + ".");
    assertThat(run("ip", "addr", "show")).doesNotContain("198.19." + b + ".", "198.18." + b + ".");
    assertThat(pids).hasSize(36).noneMatch(pid -> ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false));
    // the meter was in the concentrator's namespace: down stopped it too rather than leave the namespace alive
    assertThat(meter.waitFor(10, TimeUnit.SECONDS)).isTrue();
  }

  private static KeysFile awaitKeys() throws Exception {
    // the meter writes its keys file at start-up
    org.awaitility.Awaitility.await("meter keys file").atMost(Duration.ofSeconds(60))
        .pollInterval(Duration.ofMillis(100)).until(() -> {
          assertThat(meter.isAlive()).as("meter exited: " + Files.readString(tmp.resolve("meter.log"))).isTrue();
          return Files.exists(keys);
        });
    return KeysFile.load(keys);
  }

  /** Waits until the meter answers through the gateways (it is still starting). */
  private static MeterClient awaitMeter(KeysFile k) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (true) {
      try {
        return MeterClient.open(MeterUrl.parse(url), ClientSecurity.management(k), Duration.ofSeconds(2));
      } catch (IOException notYet) {
        assertThat(meter.isAlive()).as("meter exited: " + Files.readString(tmp.resolve("meter.log"))).isTrue();
        if (System.nanoTime() > deadline) {
          throw notYet;
        }
        Thread.sleep(200); // polling interval
      }
    }
  }

  /** Packets the head-end's gateway received over SCION and handed to its namespace through its tun device. */
  private static long tunnelPackets() throws Exception {
    return Long.parseLong(run("ip", "netns", "exec", sig.namespaces().get(1), "cat",
        "/sys/class/net/sig/statistics/rx_packets").strip());
  }

  private static String run(String... cmd) throws Exception {
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(10, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as(String.join(" ", cmd) + ": " + out).isZero();
    return out;
  }
}
