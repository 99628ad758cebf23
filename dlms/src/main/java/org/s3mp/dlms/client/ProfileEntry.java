package org.s3mp.dlms.client;

import java.time.Instant;
import java.util.List;

/**
 * One row of the load profile: capture time, the captured registers (scaled) and the row's status bits
 * ({@link org.s3mp.dlms.MeterObjects#STATUS_CLOCK_ADJUSTED}).
 */
public record ProfileEntry(Instant time, List<RegisterReading> values, int status) {
  public ProfileEntry {
    values = List.copyOf(values);
  }

  /** A row of a regular interval (status 0). */
  public ProfileEntry(Instant time, List<RegisterReading> values) {
    this(time, values, 0);
  }

  /** Whether the clock was set during this row's interval or the row fills a time a forward set skipped. */
  public boolean clockAdjusted() {
    return (status & org.s3mp.dlms.MeterObjects.STATUS_CLOCK_ADJUSTED) != 0;
  }
}
