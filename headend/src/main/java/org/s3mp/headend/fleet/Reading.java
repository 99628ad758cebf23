package org.s3mp.headend.fleet;

import java.time.Instant;
import java.util.List;

/**
 * One stored reading of a meter.
 *
 * @param kind why it was taken: {@code poll}, {@code once}, {@code continuous}, {@code command} or {@code push}
 * @param relay the disconnect control's state (connected, disconnected, ready_for_reconnection), if read
 * @param path the network path the DLMS client reported (SCION meters), else null
 * @param source {@link #POLL} (the head-end read the meter) or {@link #PUSH} (the meter pushed it)
 */
public record Reading(
    String meterId, Instant readAt, String kind, String relay, double latencyMs, NetworkPath path, List<RegisterValue> values,
    String source) {
  public static final String POLL = "poll";
  public static final String PUSH = "push";

  /** A reading the head-end polled. */
  public Reading(String meterId, Instant readAt, String kind, String relay, double latencyMs, NetworkPath path,
      List<RegisterValue> values) {
    this(meterId, readAt, kind, relay, latencyMs, path, values, POLL);
  }
}
