package org.s3mp.app;

import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A real {@code s3mp meter --simulated} process with the test JVM's class path, keys in {@code DIR/meter.keys}
 * (generated on the first start) and state in {@code DIR/meter}, a log of its own per start; started when it says
 * where it listens, stopped by its PID on close.
 */
final class MeterProcess implements AutoCloseable {
  private static final Pattern LISTENING =
      Pattern.compile("listening on (tcp://[^\\s,]+|scion://[^\\s,]+,\\[[^\\]]+\\]:[0-9]+)");

  private final Process process;
  private final String url;
  private final Path keys;
  private final Path log;

  private MeterProcess(Process process, String url, Path keys, Path log) {
    this.process = process;
    this.url = url;
    this.keys = keys;
    this.log = log;
  }

  /** Listens on {@code listen} (port 0: a free one) with these further meter options. */
  static MeterProcess start(Path dir, String listen, String... options) throws Exception {
    Path keys = dir.resolve("meter.keys");
    Path log = Files.createTempFile(dir, "meter-", ".log");
    List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", System.getProperty("java.class.path"), S3mp.class.getName(), "meter", "--simulated",
        "--listen", listen, "--data", dir.resolve("meter").toString(), "--keys", keys.toString(), "--generate-keys"));
    cmd.addAll(List.of(options));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    try {
      await().atMost(Duration.ofSeconds(60)).until(() -> !p.isAlive() || LISTENING.matcher(Files.readString(log)).find());
      Matcher m = LISTENING.matcher(Files.readString(log));
      if (!m.find()) {
        throw new AssertionError("the meter exited (" + p.exitValue() + "): " + Files.readString(log));
      }
      return new MeterProcess(p, m.group(1), keys, log);
    } catch (Exception | AssertionError e) {
      p.destroyForcibly();
      throw e;
    }
  }

  String url() {
    return url;
  }

  Path keys() {
    return keys;
  }

  /** What the meter logged so far. */
  String log() throws java.io.IOException {
    return Files.readString(log);
  }

  @Override
  public void close() throws InterruptedException {
    process.destroy();
    if (!process.waitFor(10, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      process.waitFor(10, TimeUnit.SECONDS);
    }
  }
}
