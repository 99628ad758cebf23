package org.s3mp.headend;

import java.time.Duration;
import java.util.function.BooleanSupplier;

/** Waiting for a condition with a deadline (never a bare sleep as synchronisation). */
public final class Conditions {
  private Conditions() {}

  public static void await(String what, Duration timeout, BooleanSupplier condition) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out after " + timeout.toSeconds() + " s waiting for: " + what);
      }
      try {
        Thread.sleep(50);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError(e);
      }
    }
  }
}
