package org.s3mp.headend.polling;

import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.Locale;
import org.s3mp.headend.commands.AuditLog;

/**
 * The clock of one meter as the head-end last measured it, and the check that sets it when it drifted further
 * than {@link ClockSettings#maxDrift()}. Used on the meter's session thread only; the fields are read by others.
 */
final class MeterClock {

  /** Who the audit log names for clock sets of the periodic check. */
  static final String SYSTEM_ACTOR = "system";
  static final String SET_ACTION = "clock-set";

  private final String meterId;
  private final ClockSettings settings;
  private final AuditLog audit;
  private volatile ClockReading last;
  private volatile Instant checkedAt;
  private long checkedNanos; // session thread only

  MeterClock(String meterId, ClockSettings settings, AuditLog audit) {
    this.meterId = meterId;
    this.settings = settings;
    this.audit = audit;
  }

  /** The drift of the last reading in seconds, null before the first. */
  Double driftSeconds() {
    ClockReading r = last;
    return r == null ? null : r.driftSeconds();
  }

  Instant checkedAt() {
    return checkedAt;
  }

  /** Whether the clock was read less than {@code age} ago (a check on a new association counts). */
  boolean readWithin(Duration age) {
    return checkedAt != null && System.nanoTime() - checkedNanos < age.toNanos();
  }

  /** Reads the meter's clock and records the drift. */
  ClockReading read(MeterConnection c) throws IOException {
    ClockReading r = ClockReading.measure(c::readClock);
    last = r;
    checkedAt = r.headendTime();
    checkedNanos = System.nanoTime();
    return r;
  }

  /**
   * Reads the clock; when it drifted beyond the threshold and automatic sets are on, sets it to the head-end's
   * time and reads it again. The set is audited as {@code system}, with the drift before and after.
   */
  void check(MeterConnection c) throws IOException {
    ClockReading before = read(c);
    if (!settings.autoSet() || withinLimit(before)) {
      return;
    }
    long auditId = audit.begin(SYSTEM_ACTOR, SET_ACTION, meterId, "drift " + format(before.driftSeconds()));
    ClockReading after;
    try {
      after = setAndReread(c, before);
    } catch (IOException | RuntimeException e) {
      audit.finish(auditId, false, e.getMessage());
      throw e;
    }
    audit.finish(auditId, withinLimit(after), "drift after set " + format(after.driftSeconds()));
  }

  /** Sets the clock to the head-end's time whatever its drift (an operator's command; the caller audits). */
  ClockSet set(MeterConnection c) throws IOException {
    ClockReading before = read(c);
    ClockReading after = setAndReread(c, before);
    return new ClockSet(before, after, withinLimit(after));
  }

  boolean withinLimit(ClockReading r) {
    return Math.abs(r.driftSeconds()) * 1e9 <= settings.maxDrift().toNanos();
  }

  private ClockReading setAndReread(MeterConnection c, ClockReading before) throws IOException {
    c.setClock(before.targetForSet());
    return read(c);
  }

  static String format(double seconds) {
    return String.format(Locale.ROOT, "%+.3f s", seconds);
  }
}
