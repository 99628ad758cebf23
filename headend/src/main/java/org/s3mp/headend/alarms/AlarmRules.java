package org.s3mp.headend.alarms;

import java.time.Duration;

/**
 * When alarms are raised.
 *
 * @param notReadIntervals a polled meter not read for more than this many poll intervals
 * @param associationFailures this many failed association set-ups of one meter in a row
 * @param failoverStormCount more than this many path changes of one meter ...
 * @param failoverStormWindow ... within this window
 * @param checkInterval how often the rules are evaluated (and events written)
 */
public record AlarmRules(int notReadIntervals, int associationFailures, int failoverStormCount,
    Duration failoverStormWindow, Duration checkInterval) {

  public static final AlarmRules DEFAULTS = new AlarmRules(3, 3, 5, Duration.ofMinutes(10), Duration.ofSeconds(2));

  public AlarmRules {
    if (notReadIntervals < 1 || associationFailures < 1 || failoverStormCount < 1
        || failoverStormWindow.isNegative() || failoverStormWindow.isZero()
        || checkInterval.isNegative() || checkInterval.isZero()) {
      throw new IllegalArgumentException("alarm rules: counts at least 1, durations more than 0");
    }
  }
}
