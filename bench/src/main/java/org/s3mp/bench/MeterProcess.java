package org.s3mp.bench;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A meter agent started for the benchmark as its own process (so its CPU and memory are its own), stopped by
 * PID. The command prefix comes from the caller ({@code java -cp ... org.s3mp.app.S3mp meter}).
 */
final class MeterProcess implements AutoCloseable {
  private final Process process;
  final Path log;

  private MeterProcess(Process process, Path log) {
    this.process = process;
    this.log = log;
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
    process.destroy();
    try {
      if (!process.waitFor(10, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
  }

  static Duration startTimeout() {
    return Duration.ofSeconds(60);
  }
}
