package org.s3mp.app;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.s3mp.testbed.LoopbackBlock;

/**
 * {@code s3mp demo} as a user runs it: comes up with hidden paths, the head-end reads the meter over SCION with DRKey
 * keys, Ctrl-C stops all.
 */
class DemoCommandIT {
  @TempDir Path dir;

  @Test
  void demoReadsTheMeterOverScionAndStopsEverything() throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    // a loopback block of its own: a developer's testbed on the default block must not collide
    LoopbackBlock block = LoopbackBlock.claim();
    Path topology = dir.resolve("topology.yaml");
    new ObjectMapper(new YAMLFactory()).writeValue(topology.toFile(), block.topology());
    List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", System.getProperty("java.class.path"), "-Ds3mp.home=" + System.getProperty("s3mp.home", ""),
        S3mp.class.getName(), "demo", "--http", "127.0.0.1:" + port, "--dir", dir.resolve("demo").toString(),
        "--testbed-dir", dir.resolve("testbed").toString(), "--topology", topology.toString()));
    Process demo = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    LinkedBlockingQueue<String> lines = new LinkedBlockingQueue<>();
    CompletableFuture.runAsync(() -> {
      try (BufferedReader r = new BufferedReader(new InputStreamReader(demo.getInputStream(), StandardCharsets.UTF_8))) {
        for (String l; (l = r.readLine()) != null; ) {
          lines.add(l);
        }
      } catch (java.io.IOException ignored) {
        // process gone
      }
    });
    List<ProcessHandle> children = new ArrayList<>();
    try {
      String token = null;
      StringBuilder seen = new StringBuilder();
      long deadline = System.nanoTime() + Duration.ofMinutes(4).toNanos();
      while (System.nanoTime() < deadline) {
        String l = lines.poll(1, TimeUnit.SECONDS);
        if (l == null) {
          assertThat(demo.isAlive()).as("demo exited:\n" + seen).isTrue();
          continue;
        }
        seen.append(l).append('\n');
        if (l.contains("login token:")) {
          token = l.substring(l.indexOf(':') + 1).trim().split(" ")[0];
        }
        if (l.contains("press Ctrl-C")) {
          break;
        }
      }
      assertThat(token).as(seen.toString()).isNotNull();
      // hidden paths are the demo's default: the head-end's DRKey read below works under them
      assertThat(seen.toString()).contains("hidden paths on: group ff00:0:112-1", "the outsider finds none");
      children.addAll(demo.toHandle().descendants().toList());
      assertThat(children).isNotEmpty();

      HttpClient http = HttpClient.newHttpClient();
      HttpResponse<String> read = http.send(HttpRequest.newBuilder(
              URI.create("http://127.0.0.1:" + port + "/api/meters/demo-meter/read"))
          .header("Authorization", "Bearer " + token).POST(HttpRequest.BodyPublishers.noBody())
          .timeout(Duration.ofSeconds(60)).build(), HttpResponse.BodyHandlers.ofString());
      assertThat(read.statusCode()).as(read.body()).isEqualTo(200);
      JsonNode reading = new ObjectMapper().readTree(read.body());
      assertThat(reading.path("path").path("isds").toString()).isEqualTo("[1]");
      assertThat(reading.path("values").findValuesAsText("unit")).contains("V", "W", "Wh");
    } finally {
      demo.destroy(); // what Ctrl-C does: the shutdown hook stops everything the demo started
      assertThat(demo.waitFor(60, TimeUnit.SECONDS)).isTrue();
      for (ProcessHandle c : children) {
        c.onExit().get(30, TimeUnit.SECONDS);
        assertThat(c.isAlive()).as("pid %d", c.pid()).isFalse();
      }
      block.close();
    }
  }
}
