package org.s3mp.dlms.client;

import java.time.Instant;
import java.util.List;

/** One row of the load profile: capture time and the captured registers (scaled). */
public record ProfileEntry(Instant time, List<RegisterReading> values) {
  public ProfileEntry {
    values = List.copyOf(values);
  }
}
