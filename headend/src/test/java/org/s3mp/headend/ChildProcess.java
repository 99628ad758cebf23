package org.s3mp.headend;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A Java process started from the test class path (a real meter agent or head-end), tracked by its PID and
 * stopped by it. Its stdout lines are collected; stderr goes to a log file.
 */
public final class ChildProcess implements AutoCloseable {

  private final String name;
  private final Process process;
  private final Path log;
  private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();
  private final List<String> allLines = new java.util.concurrent.CopyOnWriteArrayList<>();

  private ChildProcess(String name, Process process, Path log) {
    this.name = name;
    this.process = process;
    this.log = log;
    Thread reader = new Thread(() -> {
      try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
        String line;
        while ((line = r.readLine()) != null) {
          allLines.add(line);
          lines.add(line);
        }
      } catch (IOException e) {
        // process gone
      }
    }, name + "-stdout");
    reader.setDaemon(true);
    reader.start();
  }

  /** Starts {@code mainClass} with the test JVM's class path; stderr is appended to {@code log}. */
  public static ChildProcess java(String name, Path log, List<String> jvmArgs, String mainClass, List<String> args)
      throws IOException {
    return java(name, log, jvmArgs, mainClass, args, java.util.Map.of());
  }

  /** As above, with {@code env} added to (or, with a null value, removed from) the test JVM's environment. */
  public static ChildProcess java(String name, Path log, List<String> jvmArgs, String mainClass, List<String> args,
      java.util.Map<String, String> env) throws IOException {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.addAll(jvmArgs);
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add(mainClass);
    cmd.addAll(args);
    ProcessBuilder pb = new ProcessBuilder(cmd);
    env.forEach((k, v) -> {
      if (v == null) {
        pb.environment().remove(k);
      } else {
        pb.environment().put(k, v);
      }
    });
    pb.redirectError(ProcessBuilder.Redirect.appendTo(log.toFile()));
    return new ChildProcess(name, pb.start(), log);
  }

  /** Waits for {@code count} stdout lines starting with {@code prefix}; returns them. */
  public List<String> awaitLines(String prefix, int count, Duration timeout) {
    List<String> found = new ArrayList<>();
    long deadline = System.nanoTime() + timeout.toNanos();
    while (found.size() < count) {
      long left = deadline - System.nanoTime();
      if (left <= 0 || (!process.isAlive() && lines.isEmpty())) {
        throw new AssertionError(name + ": expected " + count + " lines '" + prefix + "...', got " + found
            + (process.isAlive() ? " (timeout)" : " (exited with " + process.exitValue() + ")") + "; stdout: " + allLines
            + "; end of its log:\n" + logTail());
      }
      try {
        String line = lines.poll(Math.min(left, 200_000_000L), TimeUnit.NANOSECONDS);
        if (line != null && line.startsWith(prefix)) {
          found.add(line);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError(e);
      }
    }
    return found;
  }

  /** The last lines of the stderr log: why a child that exited did so. */
  private String logTail() {
    try {
      List<String> all = java.nio.file.Files.readAllLines(log, StandardCharsets.UTF_8);
      return String.join("\n", all.subList(Math.max(0, all.size() - 30), all.size()));
    } catch (IOException | RuntimeException e) {
      return "(no log: " + e + ")";
    }
  }

  /** Every stdout line so far. */
  public List<String> stdout() {
    return List.copyOf(allLines);
  }

  public long pid() {
    return process.pid();
  }

  public boolean alive() {
    return process.isAlive();
  }

  /** kill -9: no shutdown hooks, nothing flushed. */
  public void kill() throws InterruptedException {
    process.destroyForcibly();
    process.waitFor(10, TimeUnit.SECONDS);
  }

  /** SIGTERM (a clean stop: shutdown hooks run); returns the exit code, or fails if it is not gone in time. */
  public int terminate(Duration timeout) throws InterruptedException {
    process.destroy();
    if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
      process.destroyForcibly();
      throw new AssertionError(name + ": still running " + timeout.toSeconds() + " s after SIGTERM (killed)");
    }
    return process.exitValue();
  }

  /** SIGTERM, then SIGKILL after 10 s. */
  @Override
  public void close() {
    if (!process.isAlive()) {
      return;
    }
    process.destroy();
    try {
      if (!process.waitFor(10, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        process.waitFor(5, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      process.destroyForcibly();
    }
  }
}
