package org.s3mp.meter.source;

import com.ghgande.j2mod.modbus.Modbus;
import com.ghgande.j2mod.modbus.facade.AbstractModbusMaster;
import com.ghgande.j2mod.modbus.facade.ModbusSerialMaster;
import com.ghgande.j2mod.modbus.facade.ModbusTCPMaster;
import com.ghgande.j2mod.modbus.procimg.InputRegister;
import com.ghgande.j2mod.modbus.util.SerialParameters;
import java.math.BigDecimal;
import java.util.Locale;
import org.s3mp.dlms.MeterObjects;
import org.s3mp.dlms.ObisCode;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real electricity meter read over Modbus RTU (serial) or Modbus TCP, as described by a {@link RegisterMap}.
 * Every read goes to the meter (no cache), so a failure is reported, never an old value.
 */
public final class ModbusMeter implements MeterSource {
  private static final Logger log = LoggerFactory.getLogger(ModbusMeter.class);

  private final AbstractModbusMaster master;
  private final RegisterMap map;
  private final int unitId;
  private final String description;
  private boolean connected;

  private ModbusMeter(AbstractModbusMaster master, RegisterMap map, int unitId, String description) {
    this.master = master;
    this.map = map;
    this.unitId = unitId;
    this.description = description;
  }

  /** Modbus TCP at {@code host:port}. */
  public static ModbusMeter tcp(String hostPort, RegisterMap map, int unitId, int timeoutMs) {
    int colon = hostPort.lastIndexOf(':');
    String host = colon < 0 ? hostPort : hostPort.substring(0, colon);
    int port = colon < 0 ? Modbus.DEFAULT_PORT : Integer.parseInt(hostPort.substring(colon + 1));
    ModbusTCPMaster m = new ModbusTCPMaster(host, port, timeoutMs, true);
    return new ModbusMeter(m, map, unitId, "modbus-tcp " + host + ":" + port + " (" + map.name() + ")");
  }

  /**
   * Modbus RTU on a serial device.
   *
   * @param parity none, even or odd
   */
  public static ModbusMeter rtu(String device, int baud, String parity, int unitId, RegisterMap map, int timeoutMs) {
    SerialParameters p = new SerialParameters();
    p.setPortName(device);
    p.setBaudRate(baud);
    p.setDatabits(8);
    p.setStopbits(1);
    p.setParity(switch (parity.toLowerCase(Locale.ROOT)) {
      case "none", "n" -> "None";
      case "even", "e" -> "Even";
      case "odd", "o" -> "Odd";
      default -> throw new IllegalArgumentException("parity must be none, even or odd: " + parity);
    });
    p.setEncoding(Modbus.SERIAL_ENCODING_RTU);
    ModbusSerialMaster m = new ModbusSerialMaster(p, timeoutMs);
    return new ModbusMeter(m, map, unitId,
        "modbus-rtu " + device + " " + baud + " " + parity + " slave " + unitId + " (" + map.name() + ")");
  }

  @Override
  public String describe() {
    return description;
  }

  @Override
  public synchronized BigDecimal read(ObisCode register) throws SourceUnavailableException {
    RegisterMap.Point point = map.point(register).orElse(null);
    if (point == null) {
      RegisterMap.Point signed = map.point(MeterObjects.ACTIVE_POWER_IMPORT).orElse(null);
      if (register.equals(MeterObjects.ACTIVE_POWER_EXPORT) && signed != null) {
        // meters with one signed active power: export is its negative part
        return readPoint(signed).negate().max(BigDecimal.ZERO);
      }
      throw new SourceUnavailableException(register + " is not provided by " + map.name(), null);
    }
    BigDecimal v = readPoint(point);
    return register.equals(MeterObjects.ACTIVE_POWER_IMPORT) ? v.max(BigDecimal.ZERO) : v;
  }

  private BigDecimal readPoint(RegisterMap.Point point) throws SourceUnavailableException {
    ObisCode register = point.obis();
    try {
      if (!connected) {
        master.connect();
        connected = true;
      }
      InputRegister[] regs = point.function() == 3
          ? master.readMultipleRegisters(unitId, point.address(), point.words())
          : master.readInputRegisters(unitId, point.address(), point.words());
      if (regs == null || regs.length != point.words()) {
        throw new SourceUnavailableException("short Modbus answer for " + register, null);
      }
      int[] words = new int[regs.length];
      for (int i = 0; i < regs.length; i++) {
        words[i] = regs[i].getValue();
      }
      return point.decode(words);
    } catch (SourceUnavailableException e) {
      throw e;
    } catch (Exception e) {
      log.debug("Modbus read of {} failed: {}", register, e.toString());
      if (!(e instanceof com.ghgande.j2mod.modbus.ModbusSlaveException)) {
        // the link may be broken: reconnect next time
        master.disconnect();
        connected = false;
      }
      throw new SourceUnavailableException("Modbus read of " + register + " failed: " + e.getMessage(), e);
    }
  }

  @Override
  public synchronized void close() {
    master.disconnect();
    connected = false;
  }
}
