package org.s3mp.meter;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.math.BigDecimal;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openmuc.jdlms.AccessResultCode;
import org.openmuc.jdlms.AttributeAddress;
import org.openmuc.jdlms.AuthenticationMechanism;
import org.openmuc.jdlms.DlmsConnection;
import org.openmuc.jdlms.GetResult;
import org.openmuc.jdlms.MethodParameter;
import org.openmuc.jdlms.MethodResultCode;
import org.openmuc.jdlms.ObisCode;
import org.openmuc.jdlms.RawMessageData;
import org.openmuc.jdlms.SecuritySuite;
import org.openmuc.jdlms.SelectiveAccessDescription;
import org.openmuc.jdlms.TcpConnectionBuilder;
import org.openmuc.jdlms.datatypes.CosemDateFormat.Field;
import org.openmuc.jdlms.datatypes.CosemDateTime;
import org.openmuc.jdlms.datatypes.DataObject;
import org.openmuc.jdlms.settings.client.ReferencingMethod;
import org.s3mp.dlms.MeterEvent;
import org.s3mp.dlms.MeterObjects;
import org.s3mp.dlms.security.KeysFile;
import org.s3mp.dlms.transport.MeterUrl;
import org.s3mp.meter.store.LoadProfileStore;

/**
 * The meter agent, as its own process, read and operated by jDLMS (OpenMUC), a DLMS/COSEM client that shares no
 * code with Gurux: it decodes every AARE/RLRE with a BER decoder that checks lengths, ciphers with its own
 * AES-GCM, and does its own block transfer. Public client (no security) and management client (HLS-GMAC suite 0,
 * authenticated and encrypted) over the TCP wrapper with logical name referencing.
 */
class JdlmsConformanceIT {
  /** Load profile already in the agent's store when it starts: one day at 15 minutes. */
  static final int PROFILE_ROWS = 96;
  static final int CAPTURE_PERIOD = 900;

  @TempDir static Path dir;
  static KeysFile keys = TestKeys.random();
  static Process process;
  static InetAddress host;
  static int port;
  static Instant firstRow;

  /** Every APDU the meter sent to the current client, plain (deciphered by jDLMS). */
  final List<byte[]> fromMeter = Collections.synchronizedList(new ArrayList<>());

  @BeforeAll
  static void startAgent() throws Exception {
    Path data = dir.resolve("data");
    Files.createDirectories(data);
    long lastBoundary = Instant.now().getEpochSecond() / CAPTURE_PERIOD * CAPTURE_PERIOD;
    firstRow = Instant.ofEpochSecond(lastBoundary - (long) PROFILE_ROWS * CAPTURE_PERIOD);
    try (LoadProfileStore store = new LoadProfileStore(data.resolve("load-profile.bin"), CAPTURE_PERIOD)) {
      for (int i = 0; i < PROFILE_ROWS; i++) {
        store.append(row(i), List.of(BigDecimal.valueOf(10_000 + 25L * i), BigDecimal.ZERO, new BigDecimal("400.5")));
      }
    }
    Path keyFile = dir.resolve("meter.keys");
    Files.writeString(keyFile, keys.format());
    String classpath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
    // the agent's clock in a zone east of UTC: date-times carry a deviation both sides must honour
    ProcessBuilder pb = new ProcessBuilder(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Duser.timezone=Europe/Zurich",
        "-cp", classpath, MeterAgentMain.class.getName(), "--simulated", "--seed", "3", "--data", data.toString(),
        "--keys", keyFile.toString(), "--listen", "tcp://127.0.0.1:0",
        "--capture-period", Integer.toString(CAPTURE_PERIOD));
    pb.redirectError(ProcessBuilder.Redirect.DISCARD);
    process = pb.start();
    BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
    String line = out.readLine();
    assertThat(line).as("agent start line").isNotNull().startsWith("listening ");
    MeterUrl url = MeterUrl.parse(line.substring("listening ".length()));
    host = InetAddress.getByName(url.hostPort().host());
    port = url.hostPort().port();
  }

  @AfterAll
  static void stopAgent() throws Exception {
    if (process != null) {
      process.destroy();
      if (!process.waitFor(10, TimeUnit.SECONDS)) {
        process.destroyForcibly();
      }
    }
  }

  @BeforeEach
  void clearCapture() {
    fromMeter.clear();
  }

  static Instant row(int i) {
    return firstRow.plusSeconds((long) i * CAPTURE_PERIOD);
  }

  // ---------------------------------------------------------------- public client

  @Test
  void publicClientAssociatesReadsWithBlockTransferAndReleases() throws Exception {
    DlmsConnection c = builder(16).setSecuritySuite(SecuritySuite.builder().build()).build();
    assertThat(string(get(c, 1, MeterObjects.SERIAL_NUMBER.toString(), 2))).isEqualTo(
        Sources.serialNumber(keys));
    Instant clock = instant(get(c, 8, MeterObjects.CLOCK.toString(), 2));
    assertThat(clock).isBetween(Instant.now().minusSeconds(10), Instant.now().plusSeconds(10));

    // the association's object list is larger than one PDU: GET with data blocks
    DataObject objects = get(c, 15, "0.0.40.0.0.255", 2);
    List<DataObject> list = objects.getValue();
    assertThat(list).hasSizeGreaterThan(10);
    assertThat(dataBlocks()).as("GET-Response-With-Datablock PDUs").isGreaterThan(1);

    // registers are for the management client only
    GetResult denied = c.get(new AttributeAddress(3, MeterObjects.VOLTAGE_L1.toString(), 2));
    assertThat(denied.getResultCode()).isEqualTo(AccessResultCode.READ_WRITE_DENIED);

    // release: jDLMS waits for the RLRE and decodes it with its BER decoder, which checks every length
    c.disconnect();
  }

  // ---------------------------------------------------------------- management client

  @Test
  void managementClientReadsProfileSelectivelyOperatesRelayAndReleases() throws Exception {
    DlmsConnection c = management(keys, counterFloor()).build();
    DataObject voltage = get(c, 3, MeterObjects.VOLTAGE_L1.toString(), 2);
    assertThat(voltage.isNumber()).isTrue();
    assertThat(((Number) voltage.getValue()).intValue()).as("voltage in 0.1 V").isBetween(2000, 2600);
    DataObject scalerUnit = get(c, 3, MeterObjects.VOLTAGE_L1.toString(), 3);
    List<DataObject> su = scalerUnit.getValue();
    assertThat(((Number) su.get(0).getValue()).intValue()).isEqualTo(-1);
    assertThat(((Number) su.get(1).getValue()).intValue()).as("unit V").isEqualTo(35);

    // whole load profile: ~96 rows of 5 columns, several ciphered blocks
    List<DataObject> all = get(c, 7, MeterObjects.LOAD_PROFILE.toString(), 2).getValue();
    assertThat(all.size()).isBetween(PROFILE_ROWS, PROFILE_ROWS + 2);
    assertThat(dataBlocks()).as("GET-Response-With-Datablock PDUs").isGreaterThan(1);
    assertRow(all.get(0), 0);
    assertRow(all.get(PROFILE_ROWS - 1), PROFILE_ROWS - 1);

    // selective access by range (selector 1): rows 10..19 by their time stamps, in UTC
    DataObject byRange = DataObject.newStructureData(
        DataObject.newStructureData(DataObject.newUInteger16Data(8),
            DataObject.newOctetStringData(new ObisCode(MeterObjects.CLOCK.toString()).bytes()),
            DataObject.newInteger8Data((byte) 2), DataObject.newUInteger16Data(0)),
        DataObject.newOctetStringData(dateTime(row(10)).encode()),
        DataObject.newOctetStringData(dateTime(row(19)).encode()),
        DataObject.newArrayData(List.of()));
    List<DataObject> range = get(c, new AttributeAddress(7, new ObisCode(MeterObjects.LOAD_PROFILE.toString()), 2,
        new SelectiveAccessDescription(1, byRange))).getValue();
    assertThat(range).hasSize(10);
    for (int i = 0; i < 10; i++) {
      assertRow(range.get(i), 10 + i);
    }

    // selective access by entry (selector 2): entries 90..96
    DataObject byEntry = DataObject.newStructureData(DataObject.newUInteger32Data(90),
        DataObject.newUInteger32Data(PROFILE_ROWS), DataObject.newUInteger16Data(1), DataObject.newUInteger16Data(0));
    List<DataObject> entries = get(c, new AttributeAddress(7, new ObisCode(MeterObjects.LOAD_PROFILE.toString()), 2,
        new SelectiveAccessDescription(2, byEntry))).getValue();
    assertThat(entries).hasSize(7);
    assertRow(entries.get(0), 89);
    assertRow(entries.get(6), PROFILE_ROWS - 1);

    // ACTION on the disconnect control: remote_disconnect (1), remote_reconnect (2); output_state follows
    String relay = MeterObjects.DISCONNECT_CONTROL.toString();
    assertThat(c.action(new MethodParameter(70, relay, 1, DataObject.newInteger8Data((byte) 0))).getResultCode())
        .isEqualTo(MethodResultCode.SUCCESS);
    assertThat((Boolean) get(c, 70, relay, 2).getValue()).as("output_state after disconnect").isFalse();
    assertThat(((Number) get(c, 70, relay, 3).getValue()).intValue()).as("control_state disconnected").isEqualTo(0);
    assertThat(c.action(new MethodParameter(70, relay, 2, DataObject.newInteger8Data((byte) 0))).getResultCode())
        .isEqualTo(MethodResultCode.SUCCESS);
    assertThat((Boolean) get(c, 70, relay, 2).getValue()).as("output_state after reconnect").isTrue();

    // release (the RLRE carries a ciphered InitiateResponse)
    c.disconnect();
  }

  // ---------------------------------------------------------------- refusals

  @Test
  void wrongKeysAndReplayedCounterAreRefused() throws Exception {
    KeysFile wrong = KeysFile.generate(keys.clientSystemTitle(), keys.serverSystemTitle());
    // the meter answers the undecipherable AARQ with ExceptionResponse deciphering-error (D8 02 05); jDLMS,
    // which deciphers every non-ACSE APDU of a ciphered connection, reports that as an IOException (EOF)
    assertThatThrownBy(() -> management(wrong, counterFloor()).build()).isInstanceOf(IOException.class);

    // a good association moves the meter's floor past the counters it used
    long floor = counterFloor();
    DlmsConnection good = management(keys, floor).build();
    get(good, 3, MeterObjects.VOLTAGE_L1.toString(), 2);
    good.disconnect();
    assertThat(counterFloor()).isGreaterThan(floor);

    // the same counters again (a client restarted without its counter, or a recorded session): refused
    assertThatThrownBy(() -> management(keys, floor).build()).isInstanceOf(IOException.class);

    // the meter is still there for a client that resumes from the published floor
    DlmsConnection again = management(keys, counterFloor()).build();
    assertThat(get(again, 3, MeterObjects.VOLTAGE_L1.toString(), 2).isNumber()).isTrue();
    // and it logged the refusals in its standard event log (code 5: authentication failed)
    List<DataObject> events = get(again, 7, MeterObjects.EVENT_LOG.toString(), 2).getValue();
    assertThat(events).extracting(JdlmsConformanceIT::eventCode).contains(MeterEvent.AUTHENTICATION_FAILED.code());
    again.disconnect();
  }

  // ---------------------------------------------------------------- helpers

  TcpConnectionBuilder builder(int clientSap) {
    return new TcpConnectionBuilder(host).setPort(port).useWrapper().setClientId(clientSap)
        .setLogicalDeviceId(MeterObjects.LOGICAL_DEVICE).setReferencingMethod(ReferencingMethod.LOGICAL)
        .setResponseTimeout(10_000).setRawMessageListener(this::captured);
  }

  TcpConnectionBuilder management(KeysFile k, long frameCounter) {
    SecuritySuite suite = SecuritySuite.builder()
        .setAuthenticationMechanism(AuthenticationMechanism.HLS5_GMAC)
        .setEncryptionMechanism(SecuritySuite.EncryptionMechanism.AES_GCM_128)
        .setSecurityPolicy(SecuritySuite.SecurityPolicy.AUTHENTICATED_AND_ENCRYPTED)
        .setAuthenticationKey(k.authenticationKey())
        .setGlobalUnicastEncryptionKey(k.encryptionKey())
        .build();
    byte[] title = k.clientSystemTitle();
    long device = 0;
    for (int i = 3; i < 8; i++) {
      device = (device << 8) | (title[i] & 0xFF);
    }
    return builder(MeterObjects.MANAGEMENT_CLIENT).setSecuritySuite(suite)
        .setSystemTitle(new String(title, 0, 3, StandardCharsets.US_ASCII), device).setFrameCounter(frameCounter);
  }

  /** The invocation counter the meter accepts next from the management client, read as public client. */
  long counterFloor() throws IOException {
    DlmsConnection c = builder(16).setSecuritySuite(SecuritySuite.builder().build()).build();
    try {
      return ((Number) get(c, 1, MeterObjects.INVOCATION_COUNTER.toString(), 2).getValue()).longValue();
    } finally {
      c.disconnect();
    }
  }

  void captured(RawMessageData m) {
    if (m.getMessageSource() != RawMessageData.MessageSource.SERVER || m.getApdu() == null) {
      return;
    }
    RawMessageData.Apdu apdu = m.getApdu();
    if (apdu.getAcsePdu() != null) {
      fromMeter.add(apdu.getAcsePdu());
    } else if (apdu.getCosemPdu() != null && apdu.getCosemPdu().getPlainCosemPdu() != null) {
      fromMeter.add(apdu.getCosemPdu().getPlainCosemPdu());
    }
  }

  /** GET-Response-With-Datablock (C4 02) PDUs seen so far. */
  long dataBlocks() {
    synchronized (fromMeter) {
      return fromMeter.stream().filter(p -> p.length > 1 && (p[0] & 0xFF) == 0xC4 && p[1] == 2).count();
    }
  }

  static DataObject get(DlmsConnection c, int classId, String obis, int attribute) throws IOException {
    return get(c, new AttributeAddress(classId, obis, attribute));
  }

  static DataObject get(DlmsConnection c, AttributeAddress address) throws IOException {
    GetResult r = c.get(address);
    assertThat(r.getResultCode()).as("GET " + address).isEqualTo(AccessResultCode.SUCCESS);
    return r.getResultData();
  }

  static int eventCode(DataObject eventRow) {
    List<DataObject> cols = eventRow.getValue();
    return ((Number) cols.get(1).getValue()).intValue();
  }

  static String string(DataObject d) {
    return new String((byte[]) d.getValue(), StandardCharsets.US_ASCII);
  }

  /** A load profile row as written before the agent started: time, energy import, export, power (0.1 W), status. */
  static void assertRow(DataObject row, int i) {
    List<DataObject> cols = row.getValue();
    assertThat(cols).hasSize(5);
    assertThat(((Number) cols.get(4).getValue()).intValue()).as("status of row " + i).isZero();
    assertThat(instant(cols.get(0))).as("time of row " + i).isEqualTo(row(i));
    assertThat(((Number) cols.get(1).getValue()).longValue()).as("energy of row " + i).isEqualTo(10_000 + 25L * i);
    assertThat(((Number) cols.get(2).getValue()).longValue()).isZero();
    assertThat(((Number) cols.get(3).getValue()).longValue()).as("power of row " + i).isEqualTo(4005);
  }

  /** COSEM date-time (octet string or date-time type) to an instant: local time + deviation = UTC. */
  static Instant instant(DataObject d) {
    CosemDateTime t = d.getValue() instanceof CosemDateTime dt ? dt : CosemDateTime.decode(d.getValue());
    LocalDateTime local = LocalDateTime.of(t.get(Field.YEAR), t.get(Field.MONTH), t.get(Field.DAY_OF_MONTH),
        t.get(Field.HOUR), t.get(Field.MINUTE), t.get(Field.SECOND));
    int deviation = t.get(Field.DEVIATION);
    assertThat(deviation).as("deviation specified").isNotEqualTo((int) (short) 0x8000);
    return local.toInstant(ZoneOffset.UTC).plusSeconds(60L * deviation);
  }

  /** A UTC date-time (deviation 0). */
  static CosemDateTime dateTime(Instant t) {
    LocalDateTime u = LocalDateTime.ofInstant(t, ZoneOffset.UTC);
    return new CosemDateTime(u.getYear(), u.getMonthValue(), u.getDayOfMonth(), u.getHour(), u.getMinute(),
        u.getSecond(), 0);
  }
}
