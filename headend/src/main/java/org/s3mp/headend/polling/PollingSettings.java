package org.s3mp.headend.polling;

import java.time.Duration;

/**
 * @param retries how often a failed meter operation is retried on a fresh association
 * @param profileInterval how often the load profile of meters with {@code profile: true} is collected
 * @param profileBackfill how far back the first collection of a meter reaches (the meter keeps 60 days)
 */
public record PollingSettings(int retries, Duration profileInterval, Duration profileBackfill) {
  public static PollingSettings defaults() {
    return new PollingSettings(1, Duration.ofMinutes(15), Duration.ofDays(7));
  }
}
