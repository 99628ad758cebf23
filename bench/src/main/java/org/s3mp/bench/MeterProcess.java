package org.s3mp.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.s3mp.dlms.security.KeysFile;
import org.s3mp.dlms.transport.MeterUrl;

/**
 * A meter agent (or another s3mp command, such as a head-end instance) started for the benchmark as its own process
 * (so its CPU and memory are its own), stopped by PID. The command prefix comes from the caller
 * ({@code java -cp ... org.s3mp.app.S3mp meter}).
 */
final class MeterProcess implements AutoCloseable {
  private final Process process;
  final Path log;
  /** Stops the process when the benchmark is stopped itself (SIGTERM, Ctrl-C) before it could close it. */
  private final Thread stopAtExit;

  private MeterProcess(Process process, Path log) {
    this.process = process;
    this.log = log;
    this.stopAtExit = new Thread(() -> stop(10), "stop-" + process.pid());
    Runtime.getRuntime().addShutdownHook(stopAtExit);
  }

  static MeterProcess start(List<String> meterCommand, List<String> args, Path log) throws IOException {
    List<String> cmd = new ArrayList<>(meterCommand);
    cmd.addAll(args);
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
    // as ./s3mp meter runs it: fewer glibc malloc arenas, less resident memory
    pb.environment().putIfAbsent("MALLOC_ARENA_MAX", "2");
    Process p = pb.start();
    p.getOutputStream().close();
    return new MeterProcess(p, log);
  }

  long pid() {
    return process.pid();
  }

  boolean alive() {
    return process.isAlive();
  }

  @Override
  public void close() {
    stop(10);
  }

  /** SIGTERM without waiting (several processes stopping at once). */
  void terminate() {
    process.destroy();
  }

  /** SIGKILL (kill -9): the process gets no chance to clean up. */
  void kill() throws IOException {
    process.destroyForcibly();
    awaitExit(Duration.ofSeconds(10));
  }

  /** Waits for the process to exit; fails if it is still running after {@code timeout}. */
  void awaitExit(Duration timeout) throws IOException {
    try {
      if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        throw new IOException("process " + process.pid() + " still running after " + timeout.toSeconds() + " s");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while waiting for process " + process.pid(), e);
    }
  }

  /** SIGTERM, then SIGKILL after {@code seconds} (a meter process says what it sent as it stops). */
  void stop(int seconds) {
    if (Thread.currentThread() != stopAtExit) {
      try {
        Runtime.getRuntime().removeShutdownHook(stopAtExit);
      } catch (IllegalStateException exiting) {
        // the hook runs (or ran) anyway
      }
    }
    process.destroy();
    try {
      if (!process.waitFor(seconds, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
  }

  /**
   * Waits until the meter says it is listening (a loaded machine can take many seconds to start a JVM), so that
   * the client's first requests are not lost to a socket that does not exist yet.
   */
  void awaitListening() throws IOException {
    awaitLog(" listening on ", startTimeout());
  }

  /** Waits until the meter's log contains {@code text}; fails when the meter exits or time runs out. */
  void awaitLog(String text, Duration timeout) throws IOException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!logText().contains(text)) {
      if (!process.isAlive()) {
        throw new IOException("the meter exited (" + process.exitValue() + "): " + logTail());
      }
      if (System.nanoTime() > deadline) {
        throw new IOException("the meter did not start within " + timeout.toSeconds() + " s: " + logTail());
      }
      try {
        process.waitFor(100, TimeUnit.MILLISECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException("interrupted while the meter started", e);
      }
    }
  }

  /** The last lines of the meter's log, for error messages. */
  String logTail() {
    List<String> lines = logText().lines().toList();
    return String.join(" | ", lines.subList(Math.max(0, lines.size() - 5), lines.size())) + " (log " + log + ")";
  }

  String logText() {
    try {
      return Files.readString(log);
    } catch (IOException e) {
      return "";
    }
  }

  static Duration startTimeout() {
    return Duration.ofSeconds(120);
  }

  /** Keys and a free address for a native SCION meter in the testbed's concentrator AS. */
  record NativeMeter(KeysFile keys, Path keysFile, MeterUrl url) {
    static NativeMeter in(org.s3mp.testbed.Testbed tb, Path out) throws IOException {
      Path keysFile = out.resolve("bench.keys");
      KeysFile keys = KeysFile.generate(new byte[] {'S', '3', 'M', 'B', 'E', 'N', 'C', 'H'},
          new byte[] {'S', '3', 'M', 'M', 'E', 'T', 'E', 'R'});
      keys.save(keysFile);
      String ip = tb.hostAddress(tb.concentrator()).getHostAddress();
      int port;
      try (java.net.DatagramSocket ds = new java.net.DatagramSocket(new java.net.InetSocketAddress(ip, 0))) {
        port = ds.getLocalPort();
      }
      return new NativeMeter(keys, keysFile, MeterUrl.parse("scion://" + tb.concentrator() + ",[" + ip + "]:" + port));
    }
  }
}
