package org.s3mp.headend.fleet;

import java.time.Instant;
import java.util.List;

/**
 * One stored reading of a meter.
 *
 * @param kind why it was taken: {@code poll}, {@code once}, {@code continuous} or {@code command}
 * @param relay the disconnect control's state (connected, disconnected, ready_for_reconnection), if read
 * @param path the network path the DLMS client reported (SCION meters), else null
 */
public record Reading(
    String meterId, Instant readAt, String kind, String relay, double latencyMs, NetworkPath path, List<RegisterValue> values) {}
