package org.s3mp.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.s3mp.dlms.security.KeysFile;

/**
 * {@code s3mp push-listen} and {@code s3mp meter --push} as real processes: the registers every period, the
 * simulated outage's last gasp and power restored, a meter whose keys the listener lacks refused; Ctrl-C stops it.
 */
class PushListenIT {
  static final Duration WAIT = Duration.ofSeconds(60);

  @TempDir Path dir;
  final List<Process> processes = new ArrayList<>();

  /** A started {@code s3mp} process and its stdout lines. */
  record Running(Process process, List<String> lines) {
    String await(String what, Predicate<String> line) {
      long deadline = System.nanoTime() + WAIT.toNanos();
      while (System.nanoTime() < deadline) {
        for (String l : lines) {
          if (line.test(l)) {
            return l;
          }
        }
        if (!process.isAlive()) {
          break;
        }
        try {
          Thread.sleep(50);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new AssertionError(e);
        }
      }
      throw new AssertionError("no line " + what + " (alive: " + process.isAlive() + "); stdout: " + lines);
    }
  }

  Running s3mp(String name, String... args) throws IOException {
    List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xmx96m", "-cp", System.getProperty("java.class.path"), S3mp.class.getName()));
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).redirectError(dir.resolve(name + ".log").toFile()).start();
    processes.add(p);
    List<String> lines = new CopyOnWriteArrayList<>();
    Thread reader = new Thread(() -> {
      try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
        for (String l; (l = r.readLine()) != null; ) {
          lines.add(l);
        }
      } catch (IOException e) {
        // gone
      }
    });
    reader.setDaemon(true);
    reader.start();
    return new Running(p, lines);
  }

  @AfterEach
  void stop() throws InterruptedException {
    for (Process p : processes) {
      p.destroy();
      if (!p.waitFor(10, TimeUnit.SECONDS)) {
        p.destroyForcibly();
      }
    }
  }

  @Test
  void printsAcceptedPushesAndRefusals() throws Exception {
    Path keys = Files.createDirectories(dir.resolve("keys"));
    Files.writeString(keys.resolve("house-1.keys"), KeysFile.generate(new byte[] {'S', '3', 'M', 'P', 'H', 'E', 0, 1},
        new byte[] {'S', '3', 'M', 'P', 0, 0, 1, 1}).format());
    Path stranger = dir.resolve("stranger.keys");
    Files.writeString(stranger, KeysFile.generate(new byte[] {'S', '3', 'M', 'P', 'H', 'E', 0, 1},
        new byte[] {'S', '3', 'M', 'P', 0, 0, 9, 9}).format());

    Running listener = s3mp("push-listen", "push-listen", "--listen", "tcp://127.0.0.1:0", "--keys", keys.toString());
    String url = listener.await("listening", l -> l.startsWith("listening ")).split(" ")[1];
    assertThat(listener.lines().get(0)).endsWith("(1 meters)");

    s3mp("meter-1", "meter", "--simulated", "--keys", keys.resolve("house-1.keys").toString(), "--data",
        dir.resolve("m1").toString(), "--listen", "tcp://127.0.0.1:0", "--push", url, "--push-period", "1",
        "--simulate-outage", "3:1");
    s3mp("meter-2", "meter", "--simulated", "--keys", stranger.toString(), "--data", dir.resolve("m2").toString(),
        "--listen", "tcp://127.0.0.1:0", "--push", url, "--push-period", "1");

    String registers = listener.await("registers of house-1",
        l -> l.startsWith("accepted house-1 ") && l.contains(" registers "));
    assertThat(registers).contains("1.0.32.7.0.255=", "1.0.1.8.0.255=");
    listener.await("the last gasp", l -> l.startsWith("accepted house-1 ") && l.contains("event POWER_FAILURE"));
    listener.await("power restored", l -> l.startsWith("accepted house-1 ") && l.contains("event POWER_RESTORED"));
    String refused = listener.await("the stranger refused", l -> l.startsWith("refused unknown_meter from tcp:"));
    assertThat(refused).contains("system title 53334d5000000909");

    listener.process().destroy(); // what Ctrl-C does
    assertThat(listener.process().waitFor(10, TimeUnit.SECONDS)).isTrue();
  }

  /** The head-end's push listener on a SCION socket of the testbed, the meter pushing over SCION with its policy. */
  @Test
  void theHeadEndStoresReadingsPushedOverScion() throws Exception {
    org.s3mp.testbed.Testbed tb = org.s3mp.testbed.Testbed.shared();
    Path keys = Files.createDirectories(dir.resolve("keys"));
    Files.writeString(keys.resolve("house-2.keys"), KeysFile.generate(new byte[] {'S', '3', 'M', 'P', 'H', 'E', 0, 1},
        new byte[] {'S', '3', 'M', 'P', 0, 0, 2, 2}).format());
    String token = "operator-token-of-the-scion-push-test";
    Path config = dir.resolve("headend.yaml");
    Files.writeString(config, """
        http:
          bind: 127.0.0.1:0
        keysDirectory: keys
        database:
          url: db/headend
        scion:
          daemon: %s
        push:
          listen: "scion://%s,[%s]:0"
        tokens:
          - name: scion-push
            role: operator
            sha256: %s
        """.formatted(daemon(tb, tb.headEnd()), tb.headEnd(), tb.hostAddress(tb.headEnd()).getHostAddress(),
        org.s3mp.headend.auth.TokenStore.sha256(token)));
    Running headend = s3mp("headend", "headend", "--config", config.toString());
    String pushUrl = headend.await("push listener", l -> l.startsWith("s3mp headend: push listener on "))
        .substring("s3mp headend: push listener on ".length()).trim();
    assertThat(pushUrl).startsWith("scion://" + tb.headEnd() + ",");
    String base = headend.await("listening", l -> l.startsWith("s3mp headend: listening on ")).split(" ")[4];
    Path policy = dir.resolve("isd1-only.json");
    Files.writeString(policy, "{\"name\": \"isd1-only\", \"allowed_isds\": [1]}");
    Running meter = s3mp("meter-scion", "meter", "--simulated", "--keys", keys.resolve("house-2.keys").toString(),
        "--data", dir.resolve("m-scion").toString(), "--listen", "tcp://127.0.0.1:0", "--push", pushUrl,
        "--push-period", "1", "--daemon", daemon(tb, tb.concentrator()), "--push-policy", policy.toString());
    String meterUrl = meter.await("meter listening", l -> l.startsWith("meter ") && l.contains(" listening on "))
        .split(" ")[4];

    java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient();
    java.net.http.HttpResponse<String> added = http.send(java.net.http.HttpRequest.newBuilder(
            java.net.URI.create(base + "/api/meters")).header("Authorization", "Bearer " + token)
        .header("Content-Type", "application/json")
        .POST(java.net.http.HttpRequest.BodyPublishers.ofString("{\"id\":\"house-2\",\"url\":\"" + meterUrl
            + "\",\"keysFile\":\"house-2.keys\",\"pollSeconds\":0,\"profile\":false}")).build(),
        java.net.http.HttpResponse.BodyHandlers.ofString());
    assertThat(added.statusCode()).as(added.body()).isEqualTo(201);
    long deadline = System.nanoTime() + WAIT.toNanos();
    String readings = "";
    while (System.nanoTime() < deadline && !readings.contains("\"source\":\"push\"")) {
      readings = http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(base
              + "/api/meters/house-2/readings")).header("Authorization", "Bearer " + token).build(),
          java.net.http.HttpResponse.BodyHandlers.ofString()).body();
      Thread.sleep(100);
    }
    assertThat(readings).contains("\"source\":\"push\"", "1.0.32.7.0.255");
  }

  static String daemon(org.s3mp.testbed.Testbed tb, String ia) {
    java.net.InetSocketAddress a = tb.daemonAddress(ia);
    return a.getAddress().getHostAddress() + ":" + a.getPort();
  }
}
