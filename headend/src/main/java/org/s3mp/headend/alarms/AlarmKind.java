package org.s3mp.headend.alarms;

import java.util.Locale;

/**
 * What an alarm is about. A <em>condition</em> holds for a while and clears by itself (the alarm stays open
 * until acknowledged); an <em>event</em> happened, and repeats of it are counted on the open alarm.
 */
public enum AlarmKind {
  /** A periodically polled meter has not been read for the configured number of poll intervals. */
  NOT_READ(true),
  /** Association set-ups of one meter failed that many times in a row. */
  ASSOCIATION_FAILURES(true),
  /** A command (disconnect, reconnect, message, push or clock set) failed or was not confirmed. */
  COMMAND_REFUSED(false),
  /** A push notification was refused (unknown meter, wrong keys, replayed, malformed). */
  PUSH_REFUSED(false),
  /** One meter's readings changed path more than the allowed number of times within the window. */
  FAILOVER_STORM(true);

  private final boolean condition;

  AlarmKind(boolean condition) {
    this.condition = condition;
  }

  boolean condition() {
    return condition;
  }

  /** The name in the API and in the metric's tag, e.g. {@code not_read}. */
  public String apiName() {
    return name().toLowerCase(Locale.ROOT);
  }

  static AlarmKind parse(String apiName) {
    return valueOf(apiName.toUpperCase(Locale.ROOT));
  }
}
