package org.s3mp.meter.source;

import java.math.BigDecimal;
import org.s3mp.dlms.ObisCode;

/** Where the meter agent's measurements come from: a simulation or a real meter over Modbus. */
public interface MeterSource extends AutoCloseable {

  /** One line for logs, e.g. {@code modbus-tcp 127.0.0.1:502 (Orno OR-WE-514)}. */
  String describe();

  /**
   * The present physical value (V, A, W, var, VA, Wh, Hz, PF) of one register of the meter's OBIS table.
   *
   * @throws SourceUnavailableException when the value cannot be read now or the meter does not provide it
   */
  BigDecimal read(ObisCode register) throws SourceUnavailableException;

  /**
   * The meter's clock is about to be set to {@code newTime} (it still shows the old time): a simulated load
   * integrates its energy up to now and continues from the new time, so a set neither adds nor loses energy.
   */
  default void clockSet(java.time.Instant newTime) {}

  /** The relay connected or disconnected the load; a simulated load stops consuming. */
  default void loadConnected(boolean connected) {}

  @Override
  default void close() {}
}
