package org.s3mp.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.s3mp.dlms.MeterObjects;
import org.s3mp.dlms.client.ClientSecurity;
import org.s3mp.dlms.client.MeterClient;
import org.s3mp.dlms.security.KeysFile;
import org.s3mp.dlms.transport.LinkOptions;
import org.s3mp.dlms.transport.MeterUrl;
import org.s3mp.testbed.S3mpHome;
import org.s3mp.testbed.Testbed;

/** A meter started as ./s3mp meter starts it stays small and loads nothing of SCION's gRPC. */
class MeterFootprintIT {
  @TempDir
  Path dir;

  @Test
  void tcpMeterStaysSmallAndDoesNotLoadGrpc() throws Exception {
    int port;
    try (ServerSocket ss = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      port = ss.getLocalPort();
    }
    MeterUrl url = MeterUrl.parse("tcp://127.0.0.1:" + port);
    Footprint f = run(url, LinkOptions.of(Duration.ofSeconds(5)), List.of());
    // with default JVM options this meter had 93-98 MB; with app/meter.jvm.options 63-67 MB were measured on
    // a loaded 2-core machine, 62-67 MB once picocli's commands stopped loading Jackson (issue 14's goal is
    // 64 MB: not reached with margin yet, so the guard is 70 MB)
    assertThat(f.rssKb()).as("meter RSS in kB").isLessThanOrEqualTo(70 * 1024);
    assertThat(f.classes()).contains("org.s3mp.dlms.server.CosemServer").doesNotContain("io.grpc.")
        .doesNotContain("com.fasterxml.jackson.databind.ObjectMapper");
  }

  @Test
  void scionMeterWithItsAsTopologyFileNeedsNoDaemonAndLoadsNoGrpc() throws Exception {
    Testbed tb = Testbed.shared();
    InetAddress ip = tb.hostAddress(tb.concentrator());
    int port;
    try (DatagramSocket ds = new DatagramSocket(new InetSocketAddress(ip, 0))) {
      port = ds.getLocalPort();
    }
    MeterUrl url = MeterUrl.parse("scion://" + tb.concentrator() + ",[" + ip.getHostAddress() + "]:" + port);
    InetSocketAddress daemon = tb.daemonAddress(tb.headEnd());
    LinkOptions client = LinkOptions.of(Duration.ofSeconds(5))
        .with(LinkOptions.SCION_DAEMON, daemon.getAddress().getHostAddress() + ":" + daemon.getPort());
    Footprint f = run(url, client, List.of("--scion-topology",
        tb.configDir(tb.concentrator()).resolve("topology.json").toString()));
    // 66-68 MB measured (the daemon's gRPC and Netty had cost it 84-86 MB)
    assertThat(f.rssKb()).as("meter RSS in kB").isLessThanOrEqualTo(72 * 1024);
    assertThat(f.classes()).contains("org.s3mp.dlms.server.CosemServer").doesNotContain("io.grpc.")
        .doesNotContain("io.netty.").doesNotContain("com.fasterxml.jackson.databind.ObjectMapper");
  }

  private record Footprint(long rssKb, String classes) {}

  /** Starts a meter on url as ./s3mp does, reads it 200 times, and says its RSS and the classes it loaded. */
  private Footprint run(MeterUrl url, LinkOptions client, List<String> meterOptions) throws Exception {
    KeysFile keys = KeysFile.generate(new byte[] {'S', '3', 'M', 'T', 'E', 'S', 'T', 'C'},
        new byte[] {'S', '3', 'M', 'T', 'E', 'S', 'T', 'S'});
    Path keysFile = dir.resolve("meter.keys");
    Files.writeString(keysFile, keys.format());
    // the application jar as ./s3mp runs it (the package phase built it), not the test class path of many jars
    Path jar = S3mpHome.dir().resolve("app").resolve("target").resolve("s3mp.jar");
    List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
    cmd.addAll(BenchCommand.meterJvmOptions());
    cmd.addAll(List.of("-verbose:class", "-cp", jar.toString(), S3mp.class.getName(), "meter"));
    cmd.addAll(List.of("--simulated", "--keys", keysFile.toString(), "--data", dir.resolve("data").toString(),
        "--listen", url.toString()));
    cmd.addAll(meterOptions);
    Path log = dir.resolve("meter.log");
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
    pb.environment().put("MALLOC_ARENA_MAX", "2");
    Process meter = pb.start();
    try {
      await().atMost(Duration.ofSeconds(60)).until(() -> Files.readString(log).contains("listening on"));
      try (MeterClient c = MeterClient.open(url, ClientSecurity.management(keys), client)) {
        for (int i = 0; i < 200; i++) {
          c.readRegister(MeterObjects.ACTIVE_POWER_IMPORT);
        }
      }
      long rssKb = Files.readAllLines(Path.of("/proc", Long.toString(meter.pid()), "status")).stream()
          .filter(l -> l.startsWith("VmRSS:")).mapToLong(l -> Long.parseLong(l.replaceAll("[^0-9]", "")))
          .findFirst().orElseThrow();
      return new Footprint(rssKb, Files.readString(log));
    } finally {
      meter.destroy();
      meter.waitFor();
    }
  }
}
