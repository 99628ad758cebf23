package org.s3mp.dlms.client;

import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * What "consistent" means for a load profile read from a meter that ran without interruption, also across clock
 * sets: every capture time a multiple of the capture period, each at most once and in increasing order (a set
 * back never yields a second row for a time), no capture time missing between the first and the last row (a
 * set forward fills the times it skipped), and the energy import register (the first column) never decreasing.
 */
public final class ProfileConsistency {
  private ProfileConsistency() {}

  /** The rule violations, one line each; empty when the profile is consistent. */
  public static List<String> problems(List<ProfileEntry> entries, Duration period) {
    long p = period.toSeconds();
    if (p < 1) {
      throw new IllegalArgumentException("capture period must be at least 1 s: " + period);
    }
    List<String> problems = new ArrayList<>();
    Instant previous = null;
    BigDecimal previousEnergy = null;
    for (ProfileEntry e : entries) {
      Instant t = e.time();
      if (t.getNano() != 0 || Math.floorMod(t.getEpochSecond(), p) != 0) {
        problems.add(t + ": not a multiple of the capture period " + p + " s");
      }
      if (previous != null) {
        if (t.equals(previous)) {
          problems.add(t + ": captured twice");
        } else if (t.isBefore(previous)) {
          problems.add(t + ": after " + previous + " (out of order)");
        } else {
          long missing = (t.getEpochSecond() - previous.getEpochSecond()) / p - 1;
          if (missing > 0) {
            problems.add(missing + " capture time(s) missing between " + previous + " and " + t);
          }
        }
      }
      BigDecimal energy = e.values().isEmpty() ? null : e.values().get(0).value();
      if (energy != null && previousEnergy != null && energy.compareTo(previousEnergy) < 0) {
        problems.add(t + ": energy " + energy + " below the previous row's " + previousEnergy);
      }
      previous = t;
      previousEnergy = energy == null ? previousEnergy : energy;
    }
    return problems;
  }
}
