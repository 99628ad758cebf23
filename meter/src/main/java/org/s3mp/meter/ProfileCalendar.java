package org.s3mp.meter;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * When the load profile captures, across clock sets. Capture times are the multiples of the capture period on
 * the meter's clock; the profile holds each at most once, in increasing order.
 */
final class ProfileCalendar {
  private ProfileCalendar() {}

  /** Slack for a capture task that fires a little early on the meter's clock (timer vs. wall clock). */
  static final long EARLY_SLACK_SECONDS = 1;

  /**
   * Whether a capture at {@code time} belongs in the profile now: after its newest row (a clock set back must not
   * capture a time twice) and reached on the meter's clock (a task planned before the set back is early).
   */
  static boolean due(Instant time, Instant newest, Instant now) {
    return (newest == null || time.isAfter(newest)) && !time.isAfter(now.plusSeconds(EARLY_SLACK_SECONDS));
  }

  /**
   * The capture times a set from {@code oldTime} forward to {@code newTime} jumps over: after the old time and
   * the newest row, up to the new time, oldest first; only the newest {@code max} (the profile's depth). Empty for
   * a set backwards or within one period.
   */
  static List<Instant> skippedByForwardSet(Instant newest, Instant oldTime, Instant newTime, int periodSeconds,
      int max) {
    long period = periodSeconds;
    long after = Math.max(oldTime.getEpochSecond(), newest == null ? Long.MIN_VALUE : newest.getEpochSecond());
    long last = Math.floorDiv(newTime.getEpochSecond(), period) * period;
    long first = Math.floorDiv(after, period) * period + period;
    if (last < first) {
      return List.of();
    }
    first = Math.max(first, last - (long) (max - 1) * period);
    List<Instant> times = new ArrayList<>();
    for (long t = first; t <= last; t += period) {
      times.add(Instant.ofEpochSecond(t));
    }
    return times;
  }
}
