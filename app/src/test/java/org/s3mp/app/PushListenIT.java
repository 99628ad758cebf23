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
}
