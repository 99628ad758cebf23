package org.s3mp.headend.polling;

import java.time.Instant;
import org.s3mp.headend.fleet.MeterSpec;

/**
 * A meter as the dashboard lists it: its settings and what the head-end currently knows about it.
 *
 * @param transport the URL scheme (tcp, scion)
 * @param path the network path of the last reading, when the client reports one
 */
public record MeterStatus(
    MeterSpec spec, String transport, boolean connected, boolean continuous, String relay,
    Instant lastReadingAt, String lastError, String path) {}
