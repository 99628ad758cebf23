package org.s3mp.dlms.cosem;

import gurux.dlms.enums.DataType;
import gurux.dlms.objects.GXDLMSClock;
import gurux.dlms.objects.GXDLMSData;
import gurux.dlms.objects.GXDLMSProfileGeneric;
import gurux.dlms.objects.GXDLMSRegister;
import gurux.dlms.objects.enums.SortMethod;
import java.util.ArrayList;
import java.util.List;
import org.s3mp.dlms.MeterObjects;
import org.s3mp.dlms.MeterObjects.RegisterDef;
import org.s3mp.dlms.ObisCode;

/**
 * Gurux objects for the meter's OBIS table, built the same way for the server and for the client (which needs
 * the profiles' capture objects to decode their rows). Internal to the dlms module.
 */
public final class CosemObjects {
  private CosemObjects() {}

  /** Wire type of a register's value. */
  public static DataType valueType(RegisterDef def) {
    if (def.wideValue()) {
      return def.signed() ? DataType.INT32 : DataType.UINT32;
    }
    return def.signed() ? DataType.INT16 : DataType.UINT16;
  }

  public static GXDLMSRegister register(RegisterDef def) {
    GXDLMSRegister r = new GXDLMSRegister(def.obis().toString());
    // Gurux takes the multiplier (0.1), not the exponent (-1): an exponent silently becomes scaler 0
    r.setScaler(Math.pow(10, def.scaler()));
    r.setUnit(gurux.dlms.enums.Unit.forValue(def.unit().code()));
    r.setDataType(2, valueType(def));
    r.setUIDataType(2, valueType(def));
    r.setValue(0L);
    return r;
  }

  /** The registers of the meter, in table order. */
  public static List<GXDLMSRegister> registers() {
    List<GXDLMSRegister> list = new ArrayList<>();
    for (RegisterDef def : MeterObjects.REGISTERS) {
      list.add(register(def));
    }
    return list;
  }

  public static GXDLMSClock clock() {
    GXDLMSClock clock = new GXDLMSClock(MeterObjects.CLOCK.toString());
    clock.setDeviation(0);
    return clock;
  }

  public static GXDLMSData eventCode() {
    GXDLMSData d = new GXDLMSData(MeterObjects.EVENT_CODE.toString());
    d.setDataType(2, DataType.UINT16);
    d.setValue(0);
    return d;
  }

  /** The AMR profile status, the load profile's last column. */
  public static GXDLMSData profileStatus() {
    GXDLMSData d = new GXDLMSData(MeterObjects.PROFILE_STATUS.toString());
    d.setDataType(2, DataType.UINT8);
    d.setValue(0);
    return d;
  }

  /**
   * The load profile with its capture objects: the clock, then {@link MeterObjects#LOAD_PROFILE_COLUMNS}, then the
   * {@link MeterObjects#PROFILE_STATUS} (last, so that the register columns keep their positions).
   */
  public static GXDLMSProfileGeneric loadProfile(GXDLMSClock clock, List<GXDLMSRegister> registers) {
    GXDLMSProfileGeneric pg = new GXDLMSProfileGeneric(MeterObjects.LOAD_PROFILE.toString());
    pg.setSortMethod(SortMethod.FIFO);
    pg.setSortObject(clock);
    pg.addCaptureObject(clock, 2, 0);
    for (ObisCode column : MeterObjects.LOAD_PROFILE_COLUMNS) {
      GXDLMSRegister r = registers.stream()
          .filter(x -> x.getLogicalName().equals(column.toString()))
          .findFirst()
          .orElseThrow();
      pg.addCaptureObject(r, 2, 0);
    }
    pg.addCaptureObject(profileStatus(), 2, 0);
    return pg;
  }

  /** The standard event log: clock and event code. */
  public static GXDLMSProfileGeneric eventLog(GXDLMSClock clock, GXDLMSData eventCode) {
    GXDLMSProfileGeneric pg = new GXDLMSProfileGeneric(MeterObjects.EVENT_LOG.toString());
    pg.setSortMethod(SortMethod.FIFO);
    pg.setSortObject(clock);
    pg.addCaptureObject(clock, 2, 0);
    pg.addCaptureObject(eventCode, 2, 0);
    return pg;
  }
}
