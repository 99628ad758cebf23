package org.s3mp.dlms;

import java.util.List;
import java.util.Optional;

/**
 * The OBIS table of the S3MP electricity meter (METERING.md): every COSEM object the meter agent serves, shared
 * by the server model, the client API and the Modbus register maps.
 */
public final class MeterObjects {
  private MeterObjects() {}

  public static final ObisCode VOLTAGE_L1 = ObisCode.parse("1.0.32.7.0.255");
  public static final ObisCode CURRENT_L1 = ObisCode.parse("1.0.31.7.0.255");
  public static final ObisCode ACTIVE_POWER_IMPORT = ObisCode.parse("1.0.1.7.0.255");
  public static final ObisCode ACTIVE_POWER_EXPORT = ObisCode.parse("1.0.2.7.0.255");
  public static final ObisCode REACTIVE_POWER = ObisCode.parse("1.0.3.7.0.255");
  public static final ObisCode APPARENT_POWER = ObisCode.parse("1.0.9.7.0.255");
  public static final ObisCode ACTIVE_ENERGY_IMPORT = ObisCode.parse("1.0.1.8.0.255");
  public static final ObisCode ACTIVE_ENERGY_EXPORT = ObisCode.parse("1.0.2.8.0.255");
  public static final ObisCode FREQUENCY = ObisCode.parse("1.0.14.7.0.255");
  public static final ObisCode POWER_FACTOR = ObisCode.parse("1.0.13.7.0.255");

  public static final ObisCode CLOCK = ObisCode.parse("0.0.1.0.0.255");
  public static final ObisCode DISCONNECT_CONTROL = ObisCode.parse("0.0.96.3.10.255");
  public static final ObisCode LOAD_PROFILE = ObisCode.parse("1.0.99.1.0.255");
  public static final ObisCode EVENT_LOG = ObisCode.parse("0.0.99.98.0.255");
  /** Data object holding the code of the last event; the second column of the event log. */
  public static final ObisCode EVENT_CODE = ObisCode.parse("0.0.96.11.0.255");
  public static final ObisCode CONSUMER_MESSAGE = ObisCode.parse("0.0.96.13.0.255");
  public static final ObisCode SERIAL_NUMBER = ObisCode.parse("0.0.96.1.0.255");
  /** The active firmware's identifier (Data, octet string): the last image activated, else the built-in one. */
  public static final ObisCode FIRMWARE_ID = ObisCode.parse("1.0.0.2.0.255");
  /** Image transfer (class 18) of signed firmware images; management client only. */
  public static final ObisCode IMAGE_TRANSFER = ObisCode.parse("0.0.44.0.0.255");
  /** Single action schedule (class 22) of the image activation: execution_time = when the image is activated. */
  public static final ObisCode IMAGE_ACTIVATION_SCHEDULE = ObisCode.parse("0.0.15.0.2.255");
  /**
   * AMR profile status of the load profile (Data, unsigned8): the last column of each load profile row, with the
   * status bits of IDIS/DSMR, of which the meter sets {@link #STATUS_CLOCK_ADJUSTED}.
   */
  public static final ObisCode PROFILE_STATUS = ObisCode.parse("0.0.96.10.1.255");
  /**
   * Status bit 5, "clock adjusted": the row's interval is not one regular capture period long because the clock
   * was set during it, or the row fills a capture time that a forward set skipped.
   */
  public static final int STATUS_CLOCK_ADJUSTED = 0x20;

  /** Push setup (class 40) of the instantaneous registers, pushed every {@link #PUSH_PERIOD} seconds. */
  public static final ObisCode PUSH_REGISTERS = ObisCode.parse("0.1.25.9.0.255");
  /** Push setup (class 40) of the events (relay, message, power), pushed at once. */
  public static final ObisCode PUSH_EVENTS = ObisCode.parse("0.2.25.9.0.255");
  /**
   * Seconds between two pushes of {@link #PUSH_REGISTERS} (Data, long-unsigned, 0 = none). DLMS leaves the push
   * trigger to a schedule object; one manufacturer-specific (C = 128) number is all this meter needs.
   */
  public static final ObisCode PUSH_PERIOD = ObisCode.parse("0.1.128.25.9.255");
  /** Wrapper port Data-Notifications are addressed to (the head-end's push client). */
  public static final int PUSH_CLIENT = 102;

  /** Association of the public client (SAP 16, no authentication). */
  public static final ObisCode PUBLIC_ASSOCIATION = ObisCode.parse("0.0.40.0.1.255");
  /** Association of the management client (SAP 1, HLS-GMAC). */
  public static final ObisCode MANAGEMENT_ASSOCIATION = ObisCode.parse("0.0.40.0.2.255");
  /** Security setup of the management association (suite 0). */
  public static final ObisCode SECURITY_SETUP = ObisCode.parse("0.0.43.0.0.255");
  /**
   * Lowest invocation counter the meter accepts next from the management client (0.0.43.1.E.255, E = the
   * security setup's 5th group); readable by the public client so a client can resume after a restart.
   */
  public static final ObisCode INVOCATION_COUNTER = ObisCode.parse("0.0.43.1.0.255");

  /** Client SAP of the public client. */
  public static final int PUBLIC_CLIENT = 16;
  /** Client SAP of the management client. */
  public static final int MANAGEMENT_CLIENT = 1;
  /** Server SAP (logical device) of the meter. */
  public static final int LOGICAL_DEVICE = 1;

  /** Largest consumer message (bytes of UTF-8) the meter accepts. */
  public static final int MAX_MESSAGE_BYTES = 128;

  /**
   * Why a consumer message is refused, or null when it is acceptable: at most {@link #MAX_MESSAGE_BYTES} of UTF-8
   * and printable text only. Control characters (C0, DEL, C1) and line/paragraph separators would garble the
   * display and forge lines in the logs that show the message.
   */
  public static String messageProblem(String text) {
    int bytes = text.getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
    if (bytes > MAX_MESSAGE_BYTES) {
      return "message too long: " + bytes + " bytes of UTF-8 (at most " + MAX_MESSAGE_BYTES + ")";
    }
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (Character.isISOControl(c) || c == '\u2028' || c == '\u2029') {
        return String.format("message contains control character U+%04X", (int) c);
      }
    }
    return null;
  }

  /**
   * A Register (class 3) of the meter.
   *
   * @param scaler the power of ten of the wire value (physical = value × 10^scaler)
   * @param signed whether the wire type is signed
   * @param wideValue whether the wire value is 32 bits (else 16)
   */
  public record RegisterDef(
      ObisCode obis, String name, int scaler, Unit unit, boolean signed, boolean wideValue) {}

  /** All registers, in the order {@code ./s3mp read} prints them by default. */
  public static final List<RegisterDef> REGISTERS =
      List.of(
          new RegisterDef(VOLTAGE_L1, "voltage L1", -1, Unit.VOLT, false, false),
          new RegisterDef(CURRENT_L1, "current L1", -3, Unit.AMPERE, false, true),
          new RegisterDef(ACTIVE_POWER_IMPORT, "active power import", -1, Unit.WATT, true, true),
          new RegisterDef(ACTIVE_POWER_EXPORT, "active power export", -1, Unit.WATT, true, true),
          new RegisterDef(REACTIVE_POWER, "reactive power", -1, Unit.VAR, true, true),
          new RegisterDef(APPARENT_POWER, "apparent power", -1, Unit.VOLT_AMPERE, true, true),
          new RegisterDef(ACTIVE_ENERGY_IMPORT, "active energy import", 0, Unit.WATT_HOUR, false, true),
          new RegisterDef(ACTIVE_ENERGY_EXPORT, "active energy export", 0, Unit.WATT_HOUR, false, true),
          new RegisterDef(FREQUENCY, "frequency", -2, Unit.HERTZ, false, false),
          new RegisterDef(POWER_FACTOR, "power factor", -3, Unit.NONE, true, false));

  /** Registers captured by the load profile, after its clock column. */
  public static final List<ObisCode> LOAD_PROFILE_COLUMNS =
      List.of(ACTIVE_ENERGY_IMPORT, ACTIVE_ENERGY_EXPORT, ACTIVE_POWER_IMPORT);

  /** The register definition for an OBIS code, if the meter has such a register. */
  public static Optional<RegisterDef> register(ObisCode obis) {
    return REGISTERS.stream().filter(r -> r.obis().equals(obis)).findFirst();
  }
}
