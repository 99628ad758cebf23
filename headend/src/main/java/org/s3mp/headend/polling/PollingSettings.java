package org.s3mp.headend.polling;

import java.time.Duration;
import org.s3mp.dlms.client.RetryPolicy;

/**
 * @param retry how the meters' DLMS sessions retry a failed operation on a new association (the head-end does not
 *     retry by itself); its response timeout is the one the connector was made with
 * @param profileInterval how often the load profile of meters with {@code profile: true} is collected
 * @param profileBackfill how far back the first collection of a meter reaches (the meter keeps 60 days)
 * @param workers meters in a DLMS exchange at once, each on a worker thread that exists only while there is work
 * @param associationSlots association set-ups at once (each a few DLMS exchanges with key derivation on both ends)
 */
public record PollingSettings(RetryPolicy retry, Duration profileInterval, Duration profileBackfill, int workers,
    int associationSlots) {
  /** Silent meters waiting for their timeouts hold up the others beyond this many (a read takes milliseconds). */
  public static final int DEFAULT_WORKERS = 256;
  /** 1,000 meters opening their associations all at once made every handshake time out. */
  public static final int DEFAULT_ASSOCIATION_SLOTS = 16;
  /** Each worker may be a platform thread. */
  public static final int MAX_WORKERS = 4096;

  public PollingSettings {
    if (workers < 1 || workers > MAX_WORKERS) {
      throw new IllegalArgumentException("polling.workers: 1.." + MAX_WORKERS + ", got " + workers);
    }
    if (associationSlots < 1 || associationSlots > workers) {
      throw new IllegalArgumentException("polling.associationSlots: 1..polling.workers (" + workers
          + ": an association is set up on a worker), got " + associationSlots);
    }
  }

  public PollingSettings(RetryPolicy retry, Duration profileInterval, Duration profileBackfill) {
    this(retry, profileInterval, profileBackfill, DEFAULT_WORKERS, DEFAULT_ASSOCIATION_SLOTS);
  }

  public static PollingSettings defaults() {
    return new PollingSettings(RetryPolicy.DEFAULT, Duration.ofMinutes(15), Duration.ofDays(7));
  }
}
