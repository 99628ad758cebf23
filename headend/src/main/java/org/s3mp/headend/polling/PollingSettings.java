package org.s3mp.headend.polling;

import java.time.Duration;
import org.s3mp.dlms.client.RetryPolicy;

/**
 * @param retry how the meters' DLMS sessions retry a failed operation on a new association (the head-end does not
 *     retry by itself); its response timeout is the one the connector was made with
 * @param profileInterval how often the load profile of meters with {@code profile: true} is collected
 * @param profileBackfill how far back the first collection of a meter reaches (the meter keeps 60 days)
 */
public record PollingSettings(RetryPolicy retry, Duration profileInterval, Duration profileBackfill) {
  public static PollingSettings defaults() {
    return new PollingSettings(RetryPolicy.DEFAULT, Duration.ofMinutes(15), Duration.ofDays(7));
  }
}
