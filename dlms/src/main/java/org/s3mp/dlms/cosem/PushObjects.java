package org.s3mp.dlms.cosem;

import gurux.dlms.objects.GXDLMSCaptureObject;
import gurux.dlms.objects.GXDLMSClock;
import gurux.dlms.objects.GXDLMSData;
import gurux.dlms.objects.GXDLMSDisconnectControl;
import gurux.dlms.objects.GXDLMSObject;
import gurux.dlms.objects.GXDLMSPushSetup;
import gurux.dlms.objects.GXDLMSRegister;
import gurux.dlms.enums.DataType;
import gurux.dlms.objects.enums.MessageType;
import gurux.dlms.objects.enums.ServiceType;
import java.util.AbstractMap;
import java.util.List;
import org.s3mp.dlms.MeterObjects;

/**
 * The meter's two push setups (class 40) with their push object lists, built the same way for the meter (which
 * fills and sends them) and the push listener (which decodes the values by position). Internal to the dlms
 * module.
 *
 * <ul>
 *   <li>{@link MeterObjects#PUSH_REGISTERS}: the push setup's logical name, the clock, then every register of
 *       {@link MeterObjects#REGISTERS} in table order;
 *   <li>{@link MeterObjects#PUSH_EVENTS}: the logical name, the clock, the event code, the relay output state.
 * </ul>
 */
public final class PushObjects {
  private PushObjects() {}

  /** Position of the first value after the push setup's name and the clock. */
  public static final int FIRST_VALUE = 2;

  public static GXDLMSPushSetup registersPush(GXDLMSClock clock, List<GXDLMSRegister> registers) {
    GXDLMSPushSetup p = pushSetup(MeterObjects.PUSH_REGISTERS.toString());
    add(p, p, 1);
    add(p, clock, 2);
    for (GXDLMSRegister r : registers) {
      add(p, r, 2);
    }
    return p;
  }

  public static GXDLMSPushSetup eventsPush(GXDLMSClock clock, GXDLMSData eventCode, GXDLMSDisconnectControl relay) {
    GXDLMSPushSetup p = pushSetup(MeterObjects.PUSH_EVENTS.toString());
    add(p, p, 1);
    add(p, clock, 2);
    add(p, eventCode, 2);
    add(p, relay, 2);
    return p;
  }

  /** The Data object holding the registers' push period in seconds. */
  public static GXDLMSData pushPeriod() {
    GXDLMSData d = new GXDLMSData(MeterObjects.PUSH_PERIOD.toString());
    d.setDataType(2, DataType.UINT32);
    d.setValue(0L);
    return d;
  }

  private static GXDLMSPushSetup pushSetup(String ln) {
    GXDLMSPushSetup p = new GXDLMSPushSetup(ln);
    p.setService(ServiceType.TCP);
    p.setMessage(MessageType.COSEM_APDU);
    p.setDestination("");
    return p;
  }

  private static void add(GXDLMSPushSetup p, GXDLMSObject o, int attribute) {
    p.getPushObjectList().add(new AbstractMap.SimpleEntry<>(o, new GXDLMSCaptureObject(attribute, 0)));
  }
}
