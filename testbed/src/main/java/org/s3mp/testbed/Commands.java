package org.s3mp.testbed;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs a short helper command to completion and returns its output; a failure carries the output's tail. */
final class Commands {
  private Commands() {}

  record Result(int exitCode, String output) {}

  static Result exec(List<String> command, Path dir, Duration timeout) throws IOException {
    Process p = new ProcessBuilder(command).directory(dir == null ? null : dir.toFile()).redirectErrorStream(true).start();
    p.getOutputStream().close();
    // read concurrently so a chatty command cannot block on a full pipe
    var out = new java.util.concurrent.CompletableFuture<String>();
    Thread reader = new Thread(() -> {
      try {
        out.complete(new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
      } catch (IOException e) {
        out.complete("");
      }
    });
    reader.setDaemon(true);
    reader.start();
    try {
      if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        p.destroyForcibly();
        throw new IOException("timed out after " + timeout + ": " + String.join(" ", command));
      }
      return new Result(p.exitValue(), out.get(5, TimeUnit.SECONDS));
    } catch (InterruptedException e) {
      p.destroyForcibly();
      Thread.currentThread().interrupt();
      throw new IOException("interrupted: " + String.join(" ", command), e);
    } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
      return new Result(p.exitValue(), "");
    }
  }

  static String run(List<String> command, Path dir, Duration timeout) throws IOException {
    Result r = exec(command, dir, timeout);
    if (r.exitCode() != 0) {
      String tail = r.output().lines().reduce((a, b) -> b).orElse("");
      throw new IOException(command.get(0) + " failed (exit " + r.exitCode() + "): " + tail);
    }
    return r.output();
  }
}
