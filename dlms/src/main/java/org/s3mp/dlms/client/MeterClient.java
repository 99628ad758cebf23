package org.s3mp.dlms.client;

import gurux.dlms.GXDateTime;
import gurux.dlms.GXReplyData;
import gurux.dlms.objects.GXDLMSSecuritySetup;
import gurux.dlms.enums.DataType;
import gurux.dlms.enums.ObjectType;
import gurux.dlms.objects.GXDLMSClock;
import gurux.dlms.objects.GXDLMSData;
import gurux.dlms.objects.GXDLMSDisconnectControl;
import gurux.dlms.objects.GXDLMSImageTransfer;
import gurux.dlms.objects.GXDLMSObject;
import gurux.dlms.objects.GXDLMSProfileGeneric;
import gurux.dlms.objects.GXDLMSRegister;
import java.io.IOException;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.AbstractMap.SimpleEntry;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Optional;
import java.util.Map;
import org.s3mp.dlms.MeterEvent;
import org.s3mp.dlms.MeterObjects;
import org.s3mp.dlms.MeterObjects.RegisterDef;
import org.s3mp.dlms.ObisCode;
import org.s3mp.dlms.Unit;
import org.s3mp.dlms.cosem.CosemObjects;
import org.s3mp.dlms.security.KeysFile;
import org.s3mp.dlms.transport.ClientLink;
import org.s3mp.dlms.transport.LinkOptions;
import org.s3mp.dlms.transport.LinkPath;
import org.s3mp.dlms.transport.MeterUrl;
import org.s3mp.dlms.transport.Transports;

/**
 * A DLMS/COSEM association with one S3MP meter (logical name referencing, wrapper transport).
 *
 * <p>{@link #open} connects over the transport of the URL's scheme and associates: the public client directly;
 * the management client first reads the meter's invocation counter 0.0.43.1.0.255 as public client (so a
 * restarted client never reuses a counter), then associates with HLS-GMAC. Every method is one or a few
 * request/response exchanges; a refusal becomes a {@link MeterException} with a one-line message. Not
 * thread-safe: use one client per thread. The typed COSEM operations live here; the association under them (its
 * ciphering, renewal of keys from the network, the exchange of requests) in {@link Association}. A client never
 * repeats an operation: a {@link Session} of clients does, on a new association, per its {@link RetryPolicy}.
 */
public final class MeterClient implements AutoCloseable {
  /** Default time to wait for each response. */
  public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(5);

  private final ClientLink link;
  private final ClientSecurity security;
  private final Association association;
  private final GXDLMSClock clock = CosemObjects.clock();
  private final List<GXDLMSRegister> registers = CosemObjects.registers();

  private MeterClient(ClientLink link, ClientSecurity security, Association association) {
    this.link = link;
    this.security = security;
    this.association = association;
  }

  /** Opens with {@link #DEFAULT_TIMEOUT}. */
  public static MeterClient open(String url, ClientSecurity security) throws IOException {
    return open(MeterUrl.parse(url), security, DEFAULT_TIMEOUT);
  }

  /**
   * Connects to a meter and associates.
   *
   * @param timeout per response (and for connecting)
   * @throws MeterException when the meter refuses the association (wrong keys, unknown client)
   * @throws IOException when the meter cannot be reached
   */
  public static MeterClient open(MeterUrl url, ClientSecurity security, Duration timeout) throws IOException {
    return open(url, security, LinkOptions.of(timeout));
  }

  /**
   * Connects with transport options (SCION daemon, path policy, ...) and associates; the timeout of the options
   * applies per response.
   */
  public static MeterClient open(MeterUrl url, ClientSecurity security, LinkOptions options) throws IOException {
    return open(Transports.forUrl(url).connect(url, options), security, options.timeout());
  }

  /**
   * Associates over a link the caller made (an in-process meter for benchmarks and the meter's warm-up); the
   * client owns the link from here on.
   */
  public static MeterClient open(ClientLink link, ClientSecurity security, Duration timeout) throws IOException {
    try {
      return new MeterClient(link, security, Association.open(link, security, timeout));
    } catch (IOException | RuntimeException e) {
      link.close();
      throw e;
    }
  }

  /** Security mode, and for DRKey the epoch and key id (never a key), for display. */
  public String securityInfo() {
    return association.securityInfo();
  }

  /** The network path of the last exchange, for path-aware transports (SCION). */
  public Optional<LinkPath> lastPath() {
    return link.path();
  }

  /**
   * Why the network path changed since the last call, if it did (path-aware transports): {@code timeout},
   * {@code SCMP interface down (IA#IF)}, {@code policy}.
   */
  public Optional<String> takePathChange() {
    return link.takePathChange();
  }

  /** The client's security. */
  public ClientSecurity security() {
    return security;
  }

  /** The meter's URL. */
  public MeterUrl url() {
    return link.remote();
  }

  // ---------------------------------------------------------------- registers

  /** Reads all registers of the meter (voltage, current, power, energy, frequency, power factor). */
  public List<RegisterReading> readRegisters() throws IOException {
    return readRegisters(MeterObjects.REGISTERS.stream().map(RegisterDef::obis).toList());
  }

  /**
   * Reads registers (class 3): value and scaler_unit of each, in one request (as many blocks as needed).
   *
   * @throws MeterException naming the register when the meter cannot deliver one (e.g. a temporary failure of
   *     the Modbus meter behind it)
   */
  public List<RegisterReading> readRegisters(List<ObisCode> obis) throws IOException {
    List<Map.Entry<GXDLMSObject, Integer>> list = new ArrayList<>();
    for (ObisCode o : obis) {
      GXDLMSRegister r = new GXDLMSRegister(o.toString());
      list.add(new SimpleEntry<>(r, 2));
      list.add(new SimpleEntry<>(r, 3));
    }
    // one GET-with-list even for a single register: value and scaler_unit in one round trip, not two
    List<Object> values = readList(list);
    if (values == null) {
      // one item of the list failed: read one by one to name the culprit
      values = new ArrayList<>();
      for (Map.Entry<GXDLMSObject, Integer> e : list) {
        values.add(read(e.getKey().getObjectType(), ObisCode.parse(e.getKey().getLogicalName()), e.getValue()));
      }
    }
    List<RegisterReading> out = new ArrayList<>();
    for (int i = 0; i < obis.size(); i++) {
      out.add(reading(obis.get(i), values.get(2 * i), values.get(2 * i + 1)));
    }
    return out;
  }

  /** Reads one register. */
  public RegisterReading readRegister(ObisCode obis) throws IOException {
    return readRegisters(List.of(obis)).get(0);
  }

  private static RegisterReading reading(ObisCode obis, Object value, Object scalerUnit) throws MeterException {
    if (!(value instanceof Number n)) {
      throw new MeterException(obis + ": register value is not a number: " + value);
    }
    if (!(scalerUnit instanceof List<?> su) || su.size() != 2
        || !(su.get(0) instanceof Number scaler) || !(su.get(1) instanceof Number unit)) {
      throw new MeterException(obis + ": bad scaler_unit: " + scalerUnit);
    }
    BigDecimal v = new BigDecimal(unsigned(n)).scaleByPowerOfTen(scaler.intValue());
    return new RegisterReading(obis, v, Unit.forCode(unit.intValue() & 0xFF).symbol());
  }

  private static java.math.BigInteger unsigned(Number n) {
    if (n instanceof java.math.BigInteger b) {
      return b;
    }
    return java.math.BigInteger.valueOf(n.longValue());
  }

  // ---------------------------------------------------------------- clock, identity, message

  /** The meter's clock (attribute 2 of 0.0.1.0.0.255). */
  public Instant readClock() throws IOException {
    Object v = read(ObjectType.CLOCK, MeterObjects.CLOCK, 2);
    GXDateTime t = toDateTime(v);
    return t.getMeterCalendar().toInstant();
  }

  /** Sets the meter's clock (management client only). */
  public void setClock(Instant time) throws IOException {
    GXDLMSClock c = CosemObjects.clock();
    c.setTime(new GXDateTime(Date.from(time)));
    write(c, 2);
  }

  /** The serial number 0.0.96.1.0.255. */
  public String readSerialNumber() throws IOException {
    return text(read(ObjectType.DATA, MeterObjects.SERIAL_NUMBER, 2));
  }

  /** The firmware id 1.0.0.2.0.255. */
  public String readFirmwareId() throws IOException {
    return text(read(ObjectType.DATA, MeterObjects.FIRMWARE_ID, 2));
  }

  /** The consumer message 0.0.96.13.0.255 currently shown on the display. */
  public String readMessage() throws IOException {
    return text(read(ObjectType.DATA, MeterObjects.CONSUMER_MESSAGE, 2));
  }

  /**
   * Shows a message on the meter's display (consumer message 0.0.96.13.0.255), then reads it back.
   *
   * @throws MeterException when refused or when the read-back differs
   */
  public void setMessage(String text) throws IOException {
    byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
    if (bytes.length > MeterObjects.MAX_MESSAGE_BYTES) {
      throw new IllegalArgumentException(
          "message too long: " + bytes.length + " bytes of UTF-8 (at most " + MeterObjects.MAX_MESSAGE_BYTES + ")");
    }
    GXDLMSData d = new GXDLMSData(MeterObjects.CONSUMER_MESSAGE.toString());
    d.setDataType(2, DataType.OCTET_STRING);
    d.setValue(bytes);
    write(d, 2);
    String back = readMessage();
    if (!back.equals(text)) {
      throw new MeterException("meter shows \"" + back + "\" after setting the message");
    }
  }

  // ---------------------------------------------------------------- push

  /** Where and how often the meter pushes: its push setups' destinations and the registers' period. */
  public org.s3mp.dlms.server.PushSettings readPushSettings() throws IOException {
    String registers = pushDestination(read(ObjectType.PUSH_SETUP, MeterObjects.PUSH_REGISTERS, 3));
    long period = readLong(ObjectType.DATA, MeterObjects.PUSH_PERIOD, 2);
    String events = pushDestination(read(ObjectType.PUSH_SETUP, MeterObjects.PUSH_EVENTS, 3));
    return new org.s3mp.dlms.server.PushSettings(registers, period, events);
  }

  /**
   * Sets the destination (a push listener URL, e.g. tcp://127.0.0.1:4065, or empty for none) of a push setup
   * ({@link MeterObjects#PUSH_REGISTERS} or {@link MeterObjects#PUSH_EVENTS}); management client only.
   */
  public void setPushDestination(ObisCode pushSetup, String url) throws IOException {
    if (!pushSetup.equals(MeterObjects.PUSH_REGISTERS) && !pushSetup.equals(MeterObjects.PUSH_EVENTS)) {
      throw new IllegalArgumentException("not a push setup of the meter: " + pushSetup);
    }
    org.s3mp.dlms.server.PushSettings.checkDestination(url);
    gurux.dlms.objects.GXDLMSPushSetup p = new gurux.dlms.objects.GXDLMSPushSetup(pushSetup.toString());
    p.setService(url.startsWith("scion:") ? gurux.dlms.objects.enums.ServiceType.UDP
        : gurux.dlms.objects.enums.ServiceType.TCP);
    p.setMessage(gurux.dlms.objects.enums.MessageType.COSEM_APDU);
    p.setDestination(url);
    write(p, 3);
  }

  /** Sets the seconds between two pushes of the registers (0: none); management client only. */
  public void setPushPeriod(long seconds) throws IOException {
    if (seconds < 0 || seconds > org.s3mp.dlms.server.PushSettings.MAX_PERIOD) {
      throw new IllegalArgumentException("push period must be 0 to " + org.s3mp.dlms.server.PushSettings.MAX_PERIOD
          + " s, got " + seconds);
    }
    GXDLMSData d = org.s3mp.dlms.cosem.PushObjects.pushPeriod();
    d.setValue(seconds);
    write(d, 2);
  }

  private static String pushDestination(Object v) throws MeterException {
    if (v instanceof List<?> l && l.size() >= 2) {
      Object d = l.get(1);
      return d instanceof byte[] b ? new String(b, StandardCharsets.UTF_8) : d == null ? "" : d.toString();
    }
    throw new MeterException("push setup destination is not a structure: " + v);
  }

  private static String text(Object v) {
    if (v instanceof byte[] b) {
      return new String(b, StandardCharsets.UTF_8);
    }
    return v == null ? "" : v.toString();
  }

  // ---------------------------------------------------------------- relay

  /** Output state and control state of the disconnect control 0.0.96.3.10.255. */
  public RelayState readRelay() throws IOException {
    Object output = read(ObjectType.DISCONNECT_CONTROL, MeterObjects.DISCONNECT_CONTROL, 2);
    Object control = read(ObjectType.DISCONNECT_CONTROL, MeterObjects.DISCONNECT_CONTROL, 3);
    if (!(output instanceof Boolean o) || !(control instanceof Number c)) {
      throw new MeterException("bad disconnect control state: " + output + ", " + control);
    }
    return new RelayState(o, RelayState.Control.forValue(c.intValue()));
  }

  /**
   * remote_disconnect (method 1), then reads the state back.
   *
   * @return the state read back (output disconnected)
   * @throws MeterException when refused or the relay did not open
   */
  public RelayState disconnect() throws IOException {
    invoke(new GXDLMSDisconnectControl(MeterObjects.DISCONNECT_CONTROL.toString()), 1);
    RelayState s = readRelay();
    if (s.outputConnected() || s.control() != RelayState.Control.DISCONNECTED) {
      throw new MeterException("meter did not disconnect: " + s);
    }
    return s;
  }

  /**
   * remote_reconnect (method 2), then reads the state back.
   *
   * @return the state read back (output connected)
   */
  public RelayState reconnect() throws IOException {
    invoke(new GXDLMSDisconnectControl(MeterObjects.DISCONNECT_CONTROL.toString()), 2);
    RelayState s = readRelay();
    if (!s.outputConnected() || s.control() != RelayState.Control.CONNECTED) {
      throw new MeterException("meter did not reconnect: " + s);
    }
    return s;
  }

  // ---------------------------------------------------------------- firmware

  /**
   * Transfers a firmware image to the meter's image transfer 0.0.44.0.0.255 (management client): reads the
   * meter's block size, initiates the transfer under {@code identifier} (the image's firmware id), sends the
   * blocks, asks the meter to verify (signature and hash) and to activate the image, then reads the active
   * firmware id back.
   *
   * @param progress told the number of bytes sent after each block
   * @param activateAt null: activate now; else write this meter time into the image activation schedule
   *     0.0.15.0.2.255 and leave the activation to the meter
   * @return the active firmware id afterwards (the new one when activated now)
   * @throws MeterException naming the step the meter refused (e.g. image_verify when the signature is bad)
   */
  public String transferFirmware(byte[] image, String identifier, java.util.function.LongConsumer progress,
      Instant activateAt) throws IOException {
    return transfer(image, identifier, progress, step -> { }, activateAt, false);
  }

  /**
   * As {@link #transferFirmware(byte[], String, java.util.function.LongConsumer, Instant)}, telling {@code steps}
   * of each step after the blocks as it begins: "image_verify", then "image_activate" or "schedule_activation"
   * (a head-end's rollout shows them per meter).
   *
   * <p>An interrupted transfer of this image (the meter is still in the transfer of the same identifier and
   * size, e.g. after the association dropped or the head-end restarted) goes on from the meter's
   * image_first_not_transferred_block_number instead of starting again; should the meter refuse the image at
   * image_verify after such a resume (a different image under the same id), it is sent once more from the start.
   */
  public String transferFirmware(byte[] image, String identifier, java.util.function.LongConsumer progress,
      java.util.function.Consumer<String> steps, Instant activateAt) throws IOException {
    return transfer(image, identifier, progress, steps, activateAt, true);
  }

  /**
   * The block a transfer in progress on the meter goes on from ({@link #NOT_IN_PROGRESS}: initiate a new one). The meter shows no
   * identifier before image_verify (image_to_activate_info reads empty), so a transfer of another image may be
   * in progress: its refusal of a block or at image_verify makes the caller send this image whole.
   */
  private long resumableBlock(long blocks) throws IOException {
    if (readImageTransferStatus() != 1) {
      return NOT_IN_PROGRESS;
    }
    long first = readLong(ObjectType.IMAGE_TRANSFER, MeterObjects.IMAGE_TRANSFER, 4);
    // 0 too: initiated, but the interruption came before its first block
    return first >= 0 && first <= blocks ? first : NOT_IN_PROGRESS;
  }

  private static final long NOT_IN_PROGRESS = -1;

  private String transfer(byte[] image, String identifier, java.util.function.LongConsumer progress,
      java.util.function.Consumer<String> steps, Instant activateAt, boolean resume) throws IOException {
    long blockSize = readLong(ObjectType.IMAGE_TRANSFER, MeterObjects.IMAGE_TRANSFER, 2);
    if (blockSize <= 0 || blockSize > 4096) {
      throw new MeterException("meter's image block size is " + blockSize);
    }
    GXDLMSImageTransfer it = new GXDLMSImageTransfer(MeterObjects.IMAGE_TRANSFER.toString());
    it.setImageBlockSize(blockSize);
    // Gurux's encoded block parameters, each ciphered only when sent (imageBlockTransfer would cipher them all at
    // once, and a DRKey renewal during the transfer would leave the rest under the old keys)
    List<byte[]> blocks = it.getImageBlocks(image);
    long from = resume ? resumableBlock(blocks.size()) : NOT_IN_PROGRESS;
    if (from != NOT_IN_PROGRESS) {
      try {
        return send(it, blocks, from, true, image, identifier, blockSize, progress, steps, activateAt);
      } catch (ResumeRefused e) {
        // the transfer in progress was of another image: this one whole
      }
    }
    return send(it, blocks, 0, false, image, identifier, blockSize, progress, steps, activateAt);
  }

  /** A block or image_verify refused after a resume (the meter had another image in progress). */
  private static final class ResumeRefused extends MeterException {
    ResumeRefused(MeterException e) {
      super(e.getMessage(), e.dlmsError(), e);
    }
  }

  private String send(GXDLMSImageTransfer it, List<byte[]> blocks, long from, boolean resumed, byte[] image,
      String identifier, long blockSize, java.util.function.LongConsumer progress,
      java.util.function.Consumer<String> steps, Instant activateAt) throws IOException {
    if (!resumed) {
      imageStep("image_transfer_initiate", d -> it.imageTransferInitiate(d,
          identifier.getBytes(StandardCharsets.US_ASCII), image.length));
    } else {
      progress.accept(Math.min(image.length, from * blockSize));
    }
    for (int i = (int) from; i < blocks.size(); i++) {
      byte[] parameter = blocks.get(i);
      try {
        imageStep("image_block_transfer", d -> d.method(it, 2, parameter, DataType.ARRAY));
      } catch (MeterException e) {
        throw resumed && e.dlmsError() != null ? new ResumeRefused(e) : e;
      }
      progress.accept(Math.min(image.length, (i + 1) * blockSize));
    }
    steps.accept("image_verify");
    try {
      imageStep("image_verify", it::imageVerify);
    } catch (MeterException e) {
      if (resumed && e.dlmsError() != null) {
        throw new ResumeRefused(e);
      }
      throw new MeterException("the meter refused the image: its signature or hash does not verify, or it is"
          + " malformed (" + e.getMessage() + "); its firmware is unchanged", e.dlmsError(), e);
    }
    if (activateAt != null) {
      steps.accept("schedule_activation");
      scheduleFirmwareActivation(activateAt);
      return readFirmwareId();
    }
    steps.accept("image_activate");
    try {
      imageStep("image_activate", it::imageActivate);
    } catch (MeterException e) {
      if (e.dlmsError() != null && readImageTransferStatus() == 7) {
        throw new MeterException("the new firmware failed to start on the meter, which rolled back to "
            + readFirmwareId() + " (" + e.getMessage() + ")", e.dlmsError(), e);
      }
      throw e;
    }
    return readFirmwareId();
  }

  /** Writes the image activation schedule's execution_time: the verified image is activated then (null: cancel). */
  public void scheduleFirmwareActivation(Instant at) throws IOException {
    gurux.dlms.objects.GXDLMSActionSchedule s =
        new gurux.dlms.objects.GXDLMSActionSchedule(MeterObjects.IMAGE_ACTIVATION_SCHEDULE.toString());
    // whole seconds: DLMS time carries hundredths, which Gurux does not keep reliably
    s.setExecutionTime(at == null ? new GXDateTime[0]
        : new GXDateTime[] {new GXDateTime(Date.from(at.truncatedTo(java.time.temporal.ChronoUnit.SECONDS)))});
    write(s, 4);
  }

  /** When the meter will activate its verified image, or empty. */
  public Optional<Instant> readScheduledFirmwareActivation() throws IOException {
    Object v = read(ObjectType.ACTION_SCHEDULE, MeterObjects.IMAGE_ACTIVATION_SCHEDULE, 4);
    gurux.dlms.objects.GXDLMSActionSchedule s =
        new gurux.dlms.objects.GXDLMSActionSchedule(MeterObjects.IMAGE_ACTIVATION_SCHEDULE.toString());
    try {
      association.dlms().updateValue(s, 4, v);
    } catch (Exception e) {
      throw new MeterException("bad image activation schedule: " + Association.describe(e), null, e);
    }
    GXDateTime[] times = s.getExecutionTime();
    return times == null || times.length == 0 ? Optional.empty()
        : Optional.of(times[0].getMeterCalendar().toInstant().truncatedTo(java.time.temporal.ChronoUnit.SECONDS));
  }

  /** The image transfer status (0 not initiated ... 3 verified, 4 verification failed, 6 activated, 7 failed). */
  public int readImageTransferStatus() throws IOException {
    return (int) readLong(ObjectType.IMAGE_TRANSFER, MeterObjects.IMAGE_TRANSFER, 6);
  }

  private void imageStep(String step, Association.Requests requests) throws IOException {
    association.service(step + " refused by the meter", step + " failed", requests);
  }

  // ---------------------------------------------------------------- profiles

  /** Number of entries in the load profile (entries_in_use). */
  public int loadProfileEntries() throws IOException {
    return (int) readLong(ObjectType.PROFILE_GENERIC, MeterObjects.LOAD_PROFILE, 7);
  }

  /** Load profile entries with from ≤ capture time ≤ to (selective access by range). */
  public List<ProfileEntry> readLoadProfile(Instant from, Instant to) throws IOException {
    GXDLMSProfileGeneric pg = CosemObjects.loadProfile(clock, registers);
    readRows(pg, d -> d.readRowsByRange(pg, Date.from(from), Date.from(to)));
    return profileEntries(pg);
  }

  /**
   * Load profile entries by position (selective access by entry).
   *
   * @param first 1-based index of the first entry (oldest is 1)
   * @param count how many; 0 = up to the last
   */
  public List<ProfileEntry> readLoadProfile(int first, int count) throws IOException {
    GXDLMSProfileGeneric pg = CosemObjects.loadProfile(clock, registers);
    readRows(pg, d -> d.readRowsByEntry(pg, first, count));
    return profileEntries(pg);
  }

  /** Event log entries with from ≤ time ≤ to. */
  public List<EventRecord> readEventLog(Instant from, Instant to) throws IOException {
    GXDLMSProfileGeneric pg = CosemObjects.eventLog(clock, CosemObjects.eventCode());
    readRows(pg, d -> d.readRowsByRange(pg, Date.from(from), Date.from(to)));
    return events(pg);
  }

  /** The whole event log, oldest first. */
  public List<EventRecord> readEventLog() throws IOException {
    GXDLMSProfileGeneric pg = CosemObjects.eventLog(clock, CosemObjects.eventCode());
    readRows(pg, d -> d.readRowsByEntry(pg, 1, 0));
    return events(pg);
  }

  private List<ProfileEntry> profileEntries(GXDLMSProfileGeneric pg) throws MeterException {
    List<ProfileEntry> out = new ArrayList<>();
    for (Object r : pg.getBuffer()) {
      Object[] row = (Object[]) r;
      List<RegisterReading> values = new ArrayList<>();
      for (int i = 0; i < MeterObjects.LOAD_PROFILE_COLUMNS.size(); i++) {
        ObisCode obis = MeterObjects.LOAD_PROFILE_COLUMNS.get(i);
        RegisterDef def = MeterObjects.register(obis).orElseThrow();
        if (!(row[i + 1] instanceof Number n)) {
          throw new MeterException("bad load profile value: " + row[i + 1]);
        }
        values.add(new RegisterReading(
            obis, new BigDecimal(unsigned(n)).scaleByPowerOfTen(def.scaler()), def.unit().symbol()));
      }
      int n = MeterObjects.LOAD_PROFILE_COLUMNS.size();
      // a meter without the status column (older agents) has regular rows only
      int status = row.length > n + 1 && row[n + 1] instanceof Number st ? st.intValue() & 0xFF : 0;
      out.add(new ProfileEntry(toDateTime(row[0]).getMeterCalendar().toInstant(), values, status));
    }
    return out;
  }

  private List<EventRecord> events(GXDLMSProfileGeneric pg) throws MeterException {
    List<EventRecord> out = new ArrayList<>();
    for (Object r : pg.getBuffer()) {
      Object[] row = (Object[]) r;
      if (!(row[1] instanceof Number n)) {
        throw new MeterException("bad event code: " + row[1]);
      }
      int code = n.intValue();
      out.add(new EventRecord(toDateTime(row[0]).getMeterCalendar().toInstant(), code, MeterEvent.forCode(code)));
    }
    return out;
  }

  private void readRows(GXDLMSProfileGeneric pg, Association.Requests requests) throws IOException {
    String failed = "reading " + pg.getLogicalName() + " failed";
    GXReplyData reply = association.service(null, failed, requests);
    try {
      association.dlms().updateValue(pg, 2, reply.getValue());
    } catch (Exception e) {
      throw new MeterException(failed + ": " + Association.describe(e), null, e);
    }
  }

  private static GXDateTime toDateTime(Object v) throws MeterException {
    if (v instanceof GXDateTime t) {
      return t;
    }
    if (v instanceof byte[] b) {
      Object t = gurux.dlms.GXDLMSClient.changeType(b, DataType.DATETIME);
      if (t instanceof GXDateTime dt) {
        return dt;
      }
    }
    throw new MeterException("not a date-time: " + v);
  }

  // ---------------------------------------------------------------- generic services

  private long readLong(ObjectType type, ObisCode obis, int attribute) throws IOException {
    Object v = read(type, obis, attribute);
    if (!(v instanceof Number n)) {
      throw new MeterException(obis + " attribute " + attribute + " is not a number: " + v);
    }
    return n.longValue();
  }

  /** GET of one attribute; returns the raw value (numbers, byte[], lists). */
  private Object read(ObjectType type, ObisCode obis, int attribute) throws IOException {
    return association.service("reading " + obis + " attribute " + attribute, "reading " + obis + " failed",
        d -> d.read(obis.toString(), type, attribute)).getValue();
  }

  /** GET with list; null when the meter refused an item (the caller then reads one by one). */
  private List<Object> readList(List<Map.Entry<GXDLMSObject, Integer>> list) throws IOException {
    association.renewIfExpired();
    List<Object> values = new ArrayList<>();
    try {
      for (byte[] request : association.dlms().readList(list)) {
        GXReplyData reply = new GXReplyData();
        try {
          association.exchangeBlocks(request, reply);
        } catch (MeterException e) {
          if (e.dlmsError() != null) {
            return null;
          }
          throw e;
        }
        if (reply.getValue() instanceof List<?> l) {
          values.addAll(l);
        } else {
          values.add(reply.getValue());
        }
      }
    } catch (IOException e) {
      throw e;
    } catch (Exception e) {
      throw new MeterException("reading registers failed: " + Association.describe(e), null, e);
    }
    return values.size() == list.size() ? values : null;
  }

  private void write(GXDLMSObject object, int attribute) throws IOException {
    String name = object.getLogicalName();
    association.service("writing " + name + " attribute " + attribute, "writing " + name + " failed",
        d -> d.write(object, attribute));
  }

  private void invoke(GXDLMSObject object, int method) throws IOException {
    String name = "method " + method + " of " + object.getLogicalName();
    association.service(name, name + " failed", d -> d.method(object, method, 0, DataType.INT8));
  }

  /**
   * Sends new keys to the meter (key_transfer of the Security setup 0.0.43.0.0.255, the encryption and the
   * authentication key wrapped with the key-encryption key of this client's keys, AES key wrap per IEC 62056-5-3).
   * The meter stores them and accepts them alongside the current ones until an association with them confirms
   * them; this association goes on with the current keys.
   *
   * @throws IllegalArgumentException when the keys have other system titles or no key-encryption key
   */
  public void transferKeys(KeysFile next) throws IOException {
    KeysFile keys = security.keys().orElseThrow(
        () -> new IllegalArgumentException("key transfer needs the management client with static keys"));
    if (!keys.rotatable()) {
      throw new IllegalArgumentException("the meter's keys have no key-encryption-key: they cannot be rotated");
    }
    if (!java.util.Arrays.equals(next.serverSystemTitle(), keys.serverSystemTitle())
        || !java.util.Arrays.equals(next.clientSystemTitle(), keys.clientSystemTitle())) {
      throw new IllegalArgumentException("new keys must keep the system titles");
    }
    GXDLMSSecuritySetup setup = new GXDLMSSecuritySetup(MeterObjects.SECURITY_SETUP.toString());
    setup.setSecuritySuite(gurux.dlms.objects.enums.SecuritySuite.SUITE_0);
    List<gurux.dlms.GXSimpleEntry<gurux.dlms.objects.enums.GlobalKeyType, byte[]>> list = List.of(
        new gurux.dlms.GXSimpleEntry<>(gurux.dlms.objects.enums.GlobalKeyType.UNICAST_ENCRYPTION,
            next.encryptionKey()),
        new gurux.dlms.GXSimpleEntry<>(gurux.dlms.objects.enums.GlobalKeyType.AUTHENTICATION,
            next.authenticationKey()));
    association.service("key transfer refused", "key transfer failed",
        d -> setup.globalKeyTransfer(d, keys.keyEncryptionKey(), list));
  }

  /** Releases the association (best effort) and closes the link. */
  @Override
  public void close() {
    association.close();
  }
}
