package org.s3mp.dlms;

/**
 * Event codes of the standard event log 0.0.99.98.0.255. The numbers are this project's own (the meter is not
 * IDIS-certified), stable because they are stored and sent on the wire.
 */
public enum MeterEvent {
  AGENT_START(1),
  /** A client set the clock (logged by agents before the old/new pair below; still in older logs). */
  CLOCK_SET(2),
  DISCONNECT(3),
  RECONNECT(4),
  AUTHENTICATION_FAILED(5),
  /** A new consumer message is on the display. */
  MESSAGE_SHOWN(6),
  /** Mains lost: the meter's "last gasp" before it goes dark. */
  POWER_FAILURE(7),
  POWER_RESTORED(8),
  /**
   * The clock was set: logged with the time before the set (IDIS/DSMR standard event 4, "clock adjusted (old
   * date/time)"), always followed by {@link #CLOCK_ADJUSTED_NEW_TIME}. Codes 4 and 5 were taken here already.
   */
  CLOCK_ADJUSTED_OLD_TIME(21),
  /** The clock was set: logged with the time after the set (IDIS/DSMR standard event 5). */
  CLOCK_ADJUSTED_NEW_TIME(22),
  /** A firmware image was activated and passed its start check (the active firmware id changed). */
  FIRMWARE_ACTIVATED(30),
  /** An activated firmware failed its start check: the meter went back to the previous firmware. */
  FIRMWARE_ROLLED_BACK(31),
  /** A transferred firmware image was refused (signature, hash or format). */
  FIRMWARE_VERIFICATION_FAILED(32);

  private final int code;

  MeterEvent(int code) {
    this.code = code;
  }

  public int code() {
    return code;
  }

  /** The event for a code, or null when unknown. */
  public static MeterEvent forCode(int code) {
    for (MeterEvent e : values()) {
      if (e.code == code) {
        return e;
      }
    }
    return null;
  }
}
