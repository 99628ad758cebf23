package org.s3mp.testbed;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Starts the testbed's processes, records each PID (with its start time, so a recycled PID is never signalled)
 * in a state file, and stops exactly those processes. Processes run in their own session ({@code setsid}) so
 * they outlive the {@code testbed up} command and a Ctrl-C in its terminal.
 */
final class ProcessSupervisor {
  private static final Logger log = LoggerFactory.getLogger(ProcessSupervisor.class);
  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  /** One started process, as recorded in the state file. */
  record Entry(String name, long pid, long startMillis, List<String> command, String log) {}

  private final Path stateFile;
  private final List<Entry> entries = new ArrayList<>();

  ProcessSupervisor(Path stateFile) throws IOException {
    this.stateFile = stateFile;
    if (Files.exists(stateFile)) {
      entries.addAll(JSON.readValue(stateFile.toFile(), new TypeReference<List<Entry>>() {}));
    }
  }

  synchronized List<Entry> entries() {
    return List.copyOf(entries);
  }

  synchronized Entry start(String name, List<String> command, Path workDir, Path logFile, Map<String, String> env)
      throws IOException {
    Files.createDirectories(logFile.getParent());
    List<String> full = new ArrayList<>();
    full.add("setsid");
    full.addAll(command);
    ProcessBuilder pb = new ProcessBuilder(full).directory(workDir.toFile());
    pb.environment().putAll(env);
    pb.redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile()));
    pb.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
    Process p = pb.start();
    long startMillis = p.toHandle().info().startInstant().map(Instant::toEpochMilli).orElse(0L);
    Entry e = new Entry(name, p.pid(), startMillis, List.copyOf(command), logFile.toString());
    entries.add(e);
    save();
    log.debug("started {} (pid {}): {}", name, p.pid(), String.join(" ", command));
    return e;
  }

  /** The live process of an entry, if it is still the one we started. */
  static Optional<ProcessHandle> handle(Entry e) {
    return ProcessHandle.of(e.pid())
        .filter(ProcessHandle::isAlive)
        .filter(h -> e.startMillis() == 0
            || h.info().startInstant().map(Instant::toEpochMilli).orElse(-1L) == e.startMillis());
  }

  static boolean alive(Entry e) {
    return handle(e).isPresent();
  }

  /** Sends a signal (STOP, CONT) to one recorded process. */
  static void signal(Entry e, String signal) throws IOException {
    ProcessHandle h = handle(e).orElseThrow(() -> new IOException(e.name() + " (pid " + e.pid() + ") is not running"));
    try {
      Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(h.pid())).inheritIO().start();
      if (kill.waitFor() != 0) {
        throw new IOException("kill -" + signal + " " + h.pid() + " failed");
      }
    } catch (InterruptedException ie) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted", ie);
    }
  }

  /** Stops every recorded process: SIGCONT (a frozen router cannot exit), SIGTERM, then SIGKILL after a grace. */
  synchronized void stopAll(Duration grace) throws IOException {
    List<ProcessHandle> live = new ArrayList<>();
    for (Entry e : entries) {
      handle(e).ifPresent(h -> {
        try {
          signal(e, "CONT");
        } catch (IOException ignored) {
          // raced with its exit
        }
        h.destroy();
        live.add(h);
      });
    }
    long deadline = System.nanoTime() + grace.toNanos();
    for (ProcessHandle h : live) {
      long left = deadline - System.nanoTime();
      try {
        h.onExit().get(Math.max(1, left), java.util.concurrent.TimeUnit.NANOSECONDS);
      } catch (Exception timeout) {
        log.warn("pid {} did not stop within {}; killing it", h.pid(), grace);
        h.destroyForcibly();
      }
    }
    for (ProcessHandle h : live) {
      try {
        h.onExit().get(5, java.util.concurrent.TimeUnit.SECONDS);
      } catch (Exception e) {
        throw new IOException("process " + h.pid() + " did not exit even after SIGKILL");
      }
    }
    entries.clear();
    Files.deleteIfExists(stateFile);
  }

  private void save() throws IOException {
    Path tmp = stateFile.resolveSibling(stateFile.getFileName() + ".tmp");
    JSON.writeValue(tmp.toFile(), entries);
    Files.move(tmp, stateFile, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }
}
