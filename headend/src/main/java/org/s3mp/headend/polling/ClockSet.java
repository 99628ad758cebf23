package org.s3mp.headend.polling;

/**
 * A clock set: the clock before, read back after, and whether the drift read back is within the head-end's
 * {@code clock.maxDriftSeconds}.
 */
public record ClockSet(ClockReading before, ClockReading after, boolean confirmed) {}
