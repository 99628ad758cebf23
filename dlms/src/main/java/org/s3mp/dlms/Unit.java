package org.s3mp.dlms;

/** The DLMS units (IEC 62056-62 unit enumeration) our meter uses, with their printed symbols. */
public enum Unit {
  WATT(27, "W"),
  VOLT_AMPERE(28, "VA"),
  VAR(29, "var"),
  WATT_HOUR(30, "Wh"),
  VAR_HOUR(32, "varh"),
  AMPERE(33, "A"),
  VOLT(35, "V"),
  HERTZ(44, "Hz"),
  NONE(255, "");

  private final int code;
  private final String symbol;

  Unit(int code, String symbol) {
    this.code = code;
    this.symbol = symbol;
  }

  /** The enumeration value on the wire. */
  public int code() {
    return code;
  }

  /** The printed symbol; empty for {@link #NONE}. */
  public String symbol() {
    return symbol;
  }

  /** The unit for a wire code; unknown codes map to {@link #NONE}. */
  public static Unit forCode(int code) {
    for (Unit u : values()) {
      if (u.code == code) {
        return u;
      }
    }
    return NONE;
  }
}
