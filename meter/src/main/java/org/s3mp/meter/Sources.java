package org.s3mp.meter;

import java.io.IOException;
import java.util.HexFormat;
import org.s3mp.dlms.security.KeysFile;
import org.s3mp.meter.source.ModbusMeter;
import org.s3mp.meter.source.RegisterMap;
import org.s3mp.meter.source.SimulatedMeter;

/** Factories for the meter sources selectable at start-up. */
public final class Sources {
  private Sources() {}

  /** Modbus response time-out. */
  public static final int MODBUS_TIMEOUT_MS = 1000;

  public static AgentConfig.SourceFactory simulated(long seed) {
    // a new simulated meter starts with a plausible, seed-dependent energy register instead of 0 Wh
    return (clock, energy) -> new SimulatedMeter(seed, clock,
        energy.signum() == 0 ? java.math.BigDecimal.valueOf(1_000_000 + Math.floorMod(seed * 7919, 1_000_000)) : energy);
  }

  public static AgentConfig.SourceFactory modbusTcp(String hostPort, String map, int unitId) {
    return (clock, energy) -> ModbusMeter.tcp(hostPort, RegisterMap.load(map), unitId, MODBUS_TIMEOUT_MS);
  }

  public static AgentConfig.SourceFactory modbusRtu(String device, int baud, String parity, int unitId, String map) {
    return (clock, energy) -> {
      RegisterMap m = RegisterMap.load(map);
      try {
        return ModbusMeter.rtu(device, baud, parity, unitId, m, MODBUS_TIMEOUT_MS);
      } catch (IllegalArgumentException e) {
        throw new IOException(e.getMessage(), e);
      }
    };
  }

  /** The default serial number: derived from the server system title, so each keys file gives its own. */
  public static String serialNumber(KeysFile keys) {
    return "S3MP-" + HexFormat.of().withUpperCase().formatHex(keys.serverSystemTitle());
  }
}
