package org.s3mp.dlms.client;

import java.math.BigDecimal;
import org.s3mp.dlms.ObisCode;

/**
 * One register value, already scaled to its physical unit.
 *
 * @param unit the unit symbol ({@code V}, {@code Wh}, ...), empty when the quantity has none
 */
public record RegisterReading(ObisCode obis, BigDecimal value, String unit) {
  /** {@code OBIS VALUE UNIT} as {@code ./s3mp read} prints it (no trailing blank without a unit). */
  public String line() {
    return (obis + " " + value.toPlainString() + " " + unit).strip();
  }
}
