package org.s3mp.bench;

/** One timed single-register DLMS GET: when, how long, over which path (native SCION), or why it failed. */
public record Reading(String mode, int index, long startedEpochMillis, long delayMicros, boolean ok, String path,
    String error) {}
