package org.s3mp.bench;

import java.util.Arrays;
import java.util.List;

/** Summary of one mode's reading delays (successful readings only), in milliseconds. */
public record DelayStats(int count, int failures, double mean, double p50, double p95, double p99, double max) {

  static DelayStats of(List<Reading> readings) {
    long[] us = readings.stream().filter(Reading::ok).mapToLong(Reading::delayMicros).sorted().toArray();
    int failures = (int) readings.stream().filter(r -> !r.ok()).count();
    if (us.length == 0) {
      return new DelayStats(0, failures, Double.NaN, Double.NaN, Double.NaN, Double.NaN, Double.NaN);
    }
    return new DelayStats(us.length, failures, Arrays.stream(us).average().orElseThrow() / 1000.0,
        percentile(us, 50), percentile(us, 95), percentile(us, 99), us[us.length - 1] / 1000.0);
  }

  /** Nearest-rank percentile of sorted values, in ms. */
  static double percentile(long[] sortedMicros, double p) {
    int rank = (int) Math.ceil(p / 100.0 * sortedMicros.length);
    return sortedMicros[Math.max(0, Math.min(sortedMicros.length - 1, rank - 1))] / 1000.0;
  }
}
