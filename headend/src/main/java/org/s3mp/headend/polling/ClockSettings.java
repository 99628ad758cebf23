package org.s3mp.headend.polling;

import java.time.Duration;

/**
 * Clock checks of every meter: on each new association and then every {@code checkInterval}.
 *
 * @param maxDrift a meter whose clock is off by more than this is set (when {@code autoSet}); audited
 */
public record ClockSettings(Duration checkInterval, Duration maxDrift, boolean autoSet) {
  public static ClockSettings defaults() {
    return new ClockSettings(Duration.ofSeconds(900), Duration.ofSeconds(10), true);
  }
}
