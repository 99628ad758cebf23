package org.s3mp.testbed;

import java.io.IOException;
import java.time.Duration;

/**
 * Waits for a condition of the network with a deadline, checking it every {@code poll}: the check is the
 * synchronisation, the pause between checks only keeps it from burning the CPU the processes need.
 */
final class Await {
  /** A condition; returns null when met, else what is still missing (for the timeout message). */
  @FunctionalInterface
  interface Check {
    String missing() throws IOException;
  }

  private Await() {}

  static void until(String what, Duration timeout, Duration poll, Check check) throws IOException {
    long deadline = System.nanoTime() + timeout.toNanos();
    String missing;
    while ((missing = check.missing()) != null) {
      if (System.nanoTime() > deadline) {
        throw new IOException(what + " not reached within " + timeout.toMillis() + " ms: " + missing);
      }
      try {
        Thread.sleep(poll.toMillis());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException("interrupted while waiting for " + what, e);
      }
    }
  }
}
