package org.s3mp.dlms.push;

import java.time.Instant;
import java.util.List;
import org.s3mp.dlms.MeterEvent;
import org.s3mp.dlms.ObisCode;
import org.s3mp.dlms.client.RegisterReading;

/**
 * One decoded, authenticated Data-Notification of a meter.
 *
 * @param systemTitle the sender's system title (hex)
 * @param invocationCounter the counter it was ciphered with
 * @param pushSetup which push setup sent it ({@link org.s3mp.dlms.MeterObjects#PUSH_REGISTERS} or
 *     {@link org.s3mp.dlms.MeterObjects#PUSH_EVENTS})
 * @param meterTime the meter's clock when it pushed
 * @param values the registers (registers push), scaled; empty for an event
 * @param event the event (events push), else null
 * @param relayConnected the relay's output state (events push), else null
 */
public record Notification(String systemTitle, long invocationCounter, ObisCode pushSetup, Instant meterTime,
    List<RegisterReading> values, MeterEvent event, Boolean relayConnected) {
  public Notification {
    values = List.copyOf(values);
  }

  /** One line for logs and {@code ./s3mp push-listen}. */
  public String describe() {
    StringBuilder b = new StringBuilder();
    b.append(meterTime).append(" ").append(systemTitle).append(" #").append(invocationCounter).append(' ');
    if (event != null) {
      b.append("event ").append(event).append(" relay ").append(Boolean.TRUE.equals(relayConnected)
          ? "connected" : "disconnected");
    } else {
      b.append("registers");
      for (RegisterReading r : values) {
        b.append(' ').append(r.obis()).append('=').append(r.value().toPlainString()).append(r.unit());
      }
    }
    return b.toString();
  }
}
