package org.s3mp.dlms.client;

import java.time.Instant;
import org.s3mp.dlms.MeterEvent;

/**
 * One entry of the standard event log.
 *
 * @param event the known event, or null for a code this client does not know
 */
public record EventRecord(Instant time, int code, MeterEvent event) {
  /** The event name, or {@code code N}. */
  public String name() {
    return event == null ? "code " + code : event.name().toLowerCase();
  }
}
