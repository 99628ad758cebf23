package org.s3mp.meter;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.ghgande.j2mod.modbus.procimg.SimpleInputRegister;
import com.ghgande.j2mod.modbus.procimg.SimpleProcessImage;
import com.ghgande.j2mod.modbus.procimg.SimpleRegister;
import com.ghgande.j2mod.modbus.slave.ModbusSlave;
import com.ghgande.j2mod.modbus.slave.ModbusSlaveFactory;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.s3mp.dlms.MeterObjects;
import org.s3mp.dlms.client.ClientSecurity;
import org.s3mp.dlms.client.MeterClient;
import org.s3mp.dlms.client.MeterException;
import org.s3mp.dlms.client.RegisterReading;
import org.s3mp.dlms.security.KeysFile;
import org.s3mp.dlms.transport.MeterUrl;
import org.s3mp.meter.drivers.LoggingDisplay;
import org.s3mp.meter.drivers.LoggingRelay;

/** A Modbus TCP meter (j2mod slave in-process) behind the agent, read through DLMS. */
class ModbusEndToEndTest {
  @TempDir Path dir;
  KeysFile keys = TestKeys.random();
  ModbusSlave slave;
  MeterAgent agent;
  int modbusPort;

  @AfterEach
  void stop() {
    if (agent != null) {
      agent.close();
    }
    if (slave != null) {
      slave.close();
    }
  }

  void startSlave(SimpleProcessImage image) throws Exception {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      modbusPort = s.getLocalPort();
    }
    slave = ModbusSlaveFactory.createTCPSlave(InetAddress.getLoopbackAddress(), modbusPort, 2, false);
    slave.addProcessImage(1, image);
    slave.open();
  }

  MeterClient startAgent(String map) throws Exception {
    agent = MeterAgent.start(new AgentConfig(dir, List.of(MeterUrl.parse("tcp://127.0.0.1:0")), keys,
        Sources.modbusTcp("127.0.0.1:" + modbusPort, map, 1), 900, new LoggingRelay(), new LoggingDisplay(), "M-1"));
    return MeterClient.open(agent.endpoints().get(0), ClientSecurity.management(keys), Duration.ofSeconds(5));
  }

  static void u16(SimpleProcessImage img, int address, int value) {
    img.addRegister(address, new SimpleRegister(value));
  }

  static void u32(SimpleProcessImage img, int address, long value) {
    img.addRegister(address, new SimpleRegister((int) (value >>> 16) & 0xFFFF));
    img.addRegister(address + 1, new SimpleRegister((int) value & 0xFFFF));
  }

  static void f32(SimpleProcessImage img, int address, float value) {
    int bits = Float.floatToIntBits(value);
    img.addInputRegister(address, new SimpleInputRegister((bits >>> 16) & 0xFFFF));
    img.addInputRegister(address + 1, new SimpleInputRegister(bits & 0xFFFF));
  }

  @Test
  void orWe514ValuesAreScaled() throws Exception {
    SimpleProcessImage img = new SimpleProcessImage();
    u16(img, 0x130, 4998);          // 49.98 Hz
    u16(img, 0x131, 23140);         // 231.40 V
    u32(img, 0x139, 1234);          // 1.234 A
    u32(img, 0x140, 285);           // 0.285 kW
    u32(img, 0x148, -12 & 0xFFFFFFFFL); // -0.012 kvar
    u32(img, 0x150, 290);           // 0.290 kVA
    u16(img, 0x158, 983);           // 0.983
    u32(img, 0xA000, 1234567);      // 12345.67 kWh
    startSlave(img);
    try (MeterClient c = startAgent("or-we-514")) {
      List<RegisterReading> r = c.readRegisters(List.of(MeterObjects.FREQUENCY, MeterObjects.VOLTAGE_L1,
          MeterObjects.CURRENT_L1, MeterObjects.ACTIVE_POWER_IMPORT, MeterObjects.ACTIVE_POWER_EXPORT,
          MeterObjects.REACTIVE_POWER, MeterObjects.APPARENT_POWER, MeterObjects.POWER_FACTOR,
          MeterObjects.ACTIVE_ENERGY_IMPORT));
      assertThat(r).extracting(RegisterReading::line).containsExactly(
          "1.0.14.7.0.255 49.98 Hz",
          "1.0.32.7.0.255 231.4 V",
          "1.0.31.7.0.255 1.234 A",
          "1.0.1.7.0.255 285.0 W",
          "1.0.2.7.0.255 0.0 W",
          "1.0.3.7.0.255 -12.0 var",
          "1.0.9.7.0.255 290.0 VA",
          "1.0.13.7.0.255 0.983",
          "1.0.1.8.0.255 12345670 Wh");
      // the OR-WE-514 has no export energy register: an error, not an invented value
      assertThatThrownBy(() -> c.readRegister(MeterObjects.ACTIVE_ENERGY_EXPORT))
          .isInstanceOf(MeterException.class)
          .satisfies(e -> assertThat(((MeterException) e).dlmsError()).isEqualTo("TEMPORARY_FAILURE"));
    }
  }

  @Test
  void sdm120ValuesAreScaledAndAnOutageIsATemporaryFailure() throws Exception {
    SimpleProcessImage img = new SimpleProcessImage();
    f32(img, 0x00, 229.9f);
    f32(img, 0x06, 4.25f);
    f32(img, 0x0C, 955.5f);
    f32(img, 0x12, 977.1f);
    f32(img, 0x18, 205.3f);
    f32(img, 0x1E, 0.978f);
    f32(img, 0x46, 50.02f);
    f32(img, 0x48, 1520.25f);
    f32(img, 0x4A, 3.5f);
    startSlave(img);
    try (MeterClient c = startAgent("sdm120")) {
      assertThat(c.readRegisters()).extracting(RegisterReading::line).containsExactly(
          "1.0.32.7.0.255 229.9 V",
          "1.0.31.7.0.255 4.250 A",
          "1.0.1.7.0.255 955.5 W",
          "1.0.2.7.0.255 0.0 W",
          "1.0.3.7.0.255 205.3 var",
          "1.0.9.7.0.255 977.1 VA",
          "1.0.1.8.0.255 1520250 Wh",
          "1.0.2.8.0.255 3500 Wh",
          "1.0.14.7.0.255 50.02 Hz",
          "1.0.13.7.0.255 0.978");
      slave.close();
      slave = null;
      assertThatThrownBy(() -> c.readRegister(MeterObjects.VOLTAGE_L1))
          .isInstanceOf(MeterException.class)
          .satisfies(e -> assertThat(((MeterException) e).dlmsError()).isEqualTo("TEMPORARY_FAILURE"));
    }
  }
}
