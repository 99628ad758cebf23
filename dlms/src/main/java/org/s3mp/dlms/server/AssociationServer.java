package org.s3mp.dlms.server;

import gurux.dlms.GXDLMSClient;
import gurux.dlms.GXDLMSConnectionEventArgs;
import gurux.dlms.GXDateTime;
import gurux.dlms.ValueEventArgs;
import gurux.dlms.enums.AccessMode;
import gurux.dlms.enums.Authentication;
import gurux.dlms.enums.DataType;
import gurux.dlms.enums.ErrorCode;
import gurux.dlms.enums.MethodAccessMode;
import gurux.dlms.enums.ObjectType;
import gurux.dlms.enums.SourceDiagnostic;
import gurux.dlms.objects.GXDLMSActionSchedule;
import gurux.dlms.objects.GXDLMSAssociationLogicalName;
import gurux.dlms.objects.GXDLMSClock;
import gurux.dlms.objects.GXDLMSData;
import gurux.dlms.objects.GXDLMSDisconnectControl;
import gurux.dlms.objects.GXDLMSImageActivateInfo;
import gurux.dlms.objects.GXDLMSImageTransfer;
import gurux.dlms.objects.GXDLMSObject;
import gurux.dlms.objects.GXDLMSProfileGeneric;
import gurux.dlms.objects.GXDLMSPushSetup;
import gurux.dlms.objects.GXDLMSRegister;
import gurux.dlms.objects.GXDLMSSecuritySetup;
import gurux.dlms.objects.GXDLMSTcpUdpSetup;
import gurux.dlms.objects.enums.ApplicationContextName;
import gurux.dlms.objects.enums.ControlMode;
import gurux.dlms.objects.enums.ControlState;
import gurux.dlms.objects.enums.ImageTransferStatus;
import gurux.dlms.objects.enums.SecurityPolicy;
import gurux.dlms.objects.enums.SecuritySuite;
import gurux.dlms.secure.GXDLMSSecureServer2;
import java.io.IOException;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Date;
import java.util.EnumSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.s3mp.dlms.MeterObjects;
import org.s3mp.dlms.MeterObjects.RegisterDef;
import org.s3mp.dlms.ObisCode;
import org.s3mp.dlms.cosem.CosemObjects;
import org.s3mp.dlms.cosem.PushObjects;
import org.s3mp.dlms.security.KeysFile;
import org.s3mp.dlms.security.ReusedGcmCiphers;
import org.s3mp.dlms.server.MeterBackend.EventRow;
import org.s3mp.dlms.server.MeterBackend.ProfileRow;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One Gurux server instance = the association of one peer (Gurux holds one association per instance). Its COSEM
 * objects are views: every read fetches the value from the {@link MeterBackend}, every action/write goes to it.
 */
final class AssociationServer extends GXDLMSSecureServer2 {
  static {
    ReusedGcmCiphers.install(); // Gurux makes a cipher per message otherwise
  }

  private static final Logger log = LoggerFactory.getLogger(AssociationServer.class);
  private static final String CURRENT_ASSOCIATION = "0.0.40.0.0.255";

  private final MeterBackend backend;
  private final GXDLMSData invocationCounter;
  private final GXDLMSClock clock;
  private final GXDLMSProfileGeneric loadProfile;
  private final GXDLMSProfileGeneric eventLog;
  private final GXDLMSDisconnectControl disconnectControl;
  private final GXDLMSData message;
  private final GXDLMSData serial;
  private final GXDLMSData firmware;
  private final GXDLMSPushSetup pushRegisters;
  private final GXDLMSPushSetup pushEvents;
  private final GXDLMSData pushPeriod;
  /** The image transfer object, or null when the backend takes no images. */
  private final GXDLMSImageTransfer imageTransfer;
  private final GXDLMSActionSchedule activationSchedule;
  /** The definition behind each register object, looked up once instead of parsing its OBIS code per read. */
  private final Map<GXDLMSRegister, RegisterDef> registerDefs = new IdentityHashMap<>();
  private final GXDLMSSecuritySetup securitySetup;
  /** The key-encryption key of this association's keys (null: they cannot be rotated). */
  private final byte[] kek;
  /** Where transferred keys go (null: key transfer refused). */
  private KeyTransfer keyTransfer;
  /** The TCP-UDP setup object (inactivity time-out) clients read; Gurux's own check of it is off. */
  private final GXDLMSTcpUdpSetup tcpUdpSetup;
  /** Set when an HLS authentication failed during the current request. */
  boolean invalidConnection;
  /** Set once an association (public, or management after HLS) was established on this instance. */
  boolean associated;

  AssociationServer(MeterBackend backend, KeysFile keys) {
    super(publicAssociation(), new GXDLMSTcpUdpSetup());
    // Gurux checks the wrapper's inactivity time-out with a Calendar.getInstance() on every request (and another
    // after it, which stays); CosemServer checks it instead, and the object clients read keeps its value
    tcpUdpSetup = getWrapper();
    getSettings().setWrapper(null);
    this.backend = backend;
    getCiphering().setSystemTitle(keys.serverSystemTitle());
    getCiphering().setAuthenticationKey(keys.authenticationKey());
    getCiphering().setBlockCipherKey(keys.encryptionKey());

    GXDLMSAssociationLogicalName management =
        new GXDLMSAssociationLogicalName(MeterObjects.MANAGEMENT_ASSOCIATION.toString());
    management.setClientSAP(MeterObjects.MANAGEMENT_CLIENT);
    management.getAuthenticationMechanismName().setMechanismId(Authentication.HIGH_GMAC);
    management.getApplicationContextName().setContextId(ApplicationContextName.LOGICAL_NAME_WITH_CIPHERING);
    management.getXDLMSContextInfo().setMaxReceivePduSize(1024);
    management.getXDLMSContextInfo().setMaxSendPduSize(1024);
    management.getXDLMSContextInfo().getConformance().addAll(GXDLMSClient.getInitialConformance(true));
    // keys must sit in a security setup referenced by the association, else Gurux falls back to a plain context
    GXDLMSSecuritySetup setup = new GXDLMSSecuritySetup(MeterObjects.SECURITY_SETUP.toString());
    setup.setSecuritySuite(SecuritySuite.SUITE_0);
    setup.setSecurityPolicy(EnumSet.of(SecurityPolicy.AUTHENTICATED_REQUEST, SecurityPolicy.ENCRYPTED_REQUEST,
        SecurityPolicy.AUTHENTICATED_RESPONSE, SecurityPolicy.ENCRYPTED_RESPONSE));
    setup.setGak(keys.authenticationKey());
    setup.setGuek(keys.encryptionKey());
    setup.setServerSystemTitle(keys.serverSystemTitle());
    setup.setClientSystemTitle(keys.clientSystemTitle());
    management.setSecuritySetupReference(setup.getLogicalName());
    securitySetup = setup;
    kek = keys.keyEncryptionKey();
    getItems().add(management);
    getItems().add(setup);

    invocationCounter = new GXDLMSData(MeterObjects.INVOCATION_COUNTER.toString());
    invocationCounter.setDataType(2, DataType.UINT32);
    invocationCounter.setValue(0L);
    getItems().add(invocationCounter);

    List<GXDLMSRegister> registers = CosemObjects.registers();
    getItems().addAll(registers);
    for (GXDLMSRegister r : registers) {
      MeterObjects.register(ObisCode.parse(r.getLogicalName())).ifPresent(d -> registerDefs.put(r, d));
    }
    clock = CosemObjects.clock();
    getItems().add(clock);
    GXDLMSData eventCode = CosemObjects.eventCode();
    getItems().add(eventCode);
    loadProfile = CosemObjects.loadProfile(clock, registers);
    getItems().add(loadProfile);
    eventLog = CosemObjects.eventLog(clock, eventCode);
    getItems().add(eventLog);
    disconnectControl = new GXDLMSDisconnectControl(MeterObjects.DISCONNECT_CONTROL.toString());
    disconnectControl.setControlMode(ControlMode.MODE_1);
    getItems().add(disconnectControl);
    message = textData(MeterObjects.CONSUMER_MESSAGE);
    serial = textData(MeterObjects.SERIAL_NUMBER);
    firmware = textData(MeterObjects.FIRMWARE_ID);
    getItems().add(message);
    getItems().add(serial);
    getItems().add(firmware);
    pushRegisters = PushObjects.registersPush(clock, registers);
    pushEvents = PushObjects.eventsPush(clock, eventCode, disconnectControl);
    pushPeriod = PushObjects.pushPeriod();
    getItems().add(pushRegisters);
    getItems().add(pushEvents);
    getItems().add(pushPeriod);
    if (backend.imageTransfer() != null) {
      imageTransfer = new GXDLMSImageTransfer(MeterObjects.IMAGE_TRANSFER.toString());
      imageTransfer.setImageBlockSize(backend.imageTransfer().blockSize());
      imageTransfer.setImageTransferEnabled(true);
      getItems().add(imageTransfer);
      activationSchedule = new GXDLMSActionSchedule(MeterObjects.IMAGE_ACTIVATION_SCHEDULE.toString());
      activationSchedule.setTarget(new gurux.dlms.objects.GXDLMSScriptTable("0.0.10.0.107.255"));
      activationSchedule.setExecutedScriptSelector(1);
      activationSchedule.setType(gurux.dlms.objects.enums.SingleActionScheduleType.SingleActionScheduleType1);
      activationSchedule.setExecutionTime(new gurux.dlms.GXDateTime[0]);
      getItems().add(activationSchedule);
    } else {
      imageTransfer = null;
      activationSchedule = null;
    }
    initialize();
    // only after initialize(): Gurux starts a capture thread for every profile with a period at that moment, one
    // per association and never stopped; the agent captures the profile itself
    loadProfile.setCapturePeriod(backend.capturePeriodSeconds());
  }

  private static GXDLMSAssociationLogicalName publicAssociation() {
    GXDLMSAssociationLogicalName a =
        new GXDLMSAssociationLogicalName(MeterObjects.PUBLIC_ASSOCIATION.toString());
    a.setClientSAP(MeterObjects.PUBLIC_CLIENT);
    a.getAuthenticationMechanismName().setMechanismId(Authentication.NONE);
    a.getXDLMSContextInfo().setMaxReceivePduSize(1024);
    a.getXDLMSContextInfo().setMaxSendPduSize(1024);
    a.getXDLMSContextInfo().getConformance().addAll(GXDLMSClient.getInitialConformance(true));
    return a;
  }

  private static GXDLMSData textData(ObisCode obis) {
    GXDLMSData d = new GXDLMSData(obis.toString());
    d.setDataType(2, DataType.OCTET_STRING);
    d.setValue(new byte[0]);
    return d;
  }

  /** Receives the unwrapped keys of a key_transfer; throws when they cannot be stored (the client gets an error). */
  interface KeyTransfer {
    void transferred(byte[] authenticationKey, byte[] encryptionKey) throws IOException;
  }

  void keyTransfer(KeyTransfer handler) {
    this.keyTransfer = handler;
  }

  /** Seconds without a request after which the association is dropped (0: never), as Gurux would. */
  int inactivityTimeoutSeconds() {
    return tcpUdpSetup.getInactivityTimeout();
  }

  /** Whether the association is established, HLS included (Gurux's DLMS connection state). */
  boolean authenticated() {
    return (getSettings().getConnected() & gurux.dlms.ConnectionState.DLMS) != 0;
  }

  GXDLMSData invocationCounterObject() {
    return invocationCounter;
  }

  private boolean management() {
    GXDLMSAssociationLogicalName a = getAssignedAssociation();
    return a != null && a.getClientSAP() == MeterObjects.MANAGEMENT_CLIENT;
  }

  // ------------------------------------------------------------------ association

  @Override
  protected boolean isTarget(int serverAddress, int clientAddress) {
    if (serverAddress != MeterObjects.LOGICAL_DEVICE) {
      return false;
    }
    for (GXDLMSObject o : getItems().getObjects(ObjectType.ASSOCIATION_LOGICAL_NAME)) {
      GXDLMSAssociationLogicalName a = (GXDLMSAssociationLogicalName) o;
      if (a.getClientSAP() == clientAddress) {
        setAssignedAssociation(a);
        return true;
      }
    }
    return false;
  }

  @Override
  protected SourceDiagnostic onValidateAuthentication(Authentication authentication, byte[] password) {
    GXDLMSAssociationLogicalName a = getAssignedAssociation();
    if (a == null || a.getAuthenticationMechanismName().getMechanismId() != authentication) {
      return SourceDiagnostic.NOT_RECOGNISED;
    }
    return SourceDiagnostic.NONE;
  }

  @Override
  protected GXDLMSObject onFindObject(ObjectType type, int sn, String ln) {
    if (type == ObjectType.ASSOCIATION_LOGICAL_NAME && CURRENT_ASSOCIATION.equals(ln)) {
      return getAssignedAssociation();
    }
    return null;
  }

  @Override
  protected AccessMode onGetAttributeAccess(ValueEventArgs arg) {
    GXDLMSObject target = arg.getTarget();
    if (getAssignedAssociation() == null) {
      return AccessMode.NO_ACCESS;
    }
    if (arg.getIndex() == 1) {
      return AccessMode.READ;
    }
    String ln = target.getLogicalName();
    if (!management()) {
      boolean publicObject = ln.equals(MeterObjects.SERIAL_NUMBER.toString())
          || ln.equals(MeterObjects.CLOCK.toString())
          || ln.equals(MeterObjects.INVOCATION_COUNTER.toString())
          || target == getAssignedAssociation();
      return publicObject ? AccessMode.READ : AccessMode.NO_ACCESS;
    }
    if ((target == clock || target == message || target == pushPeriod) && arg.getIndex() == 2) {
      return AccessMode.READ_WRITE;
    }
    if ((target == pushRegisters || target == pushEvents) && arg.getIndex() == 3) {
      return AccessMode.READ_WRITE; // send_destination_and_method
    }
    if (target == activationSchedule && arg.getIndex() == 4) {
      return AccessMode.READ_WRITE; // execution_time
    }
    return AccessMode.READ;
  }

  @Override
  protected MethodAccessMode onGetMethodAccess(ValueEventArgs arg) {
    GXDLMSObject target = arg.getTarget();
    if (target instanceof GXDLMSAssociationLogicalName && arg.getIndex() == 1) {
      // reply_to_HLS_authentication: the second step of HLS-GMAC
      return MethodAccessMode.ACCESS;
    }
    if (target == securitySetup && management() && arg.getIndex() == 2) {
      return MethodAccessMode.ACCESS; // key_transfer (global_key_transfer)
    }
    if (target == disconnectControl && management() && (arg.getIndex() == 1 || arg.getIndex() == 2)) {
      return MethodAccessMode.ACCESS;
    }
    if (target == imageTransfer && management() && arg.getIndex() >= 1 && arg.getIndex() <= 4) {
      return MethodAccessMode.ACCESS;
    }
    return MethodAccessMode.NO_ACCESS;
  }

  @Override
  protected void onConnected(GXDLMSConnectionEventArgs info) {
    associated = true;
    log.debug("association with client {} established", getSettings().getClientAddress());
  }

  @Override
  protected void onInvalidConnection(GXDLMSConnectionEventArgs info) {
    invalidConnection = true;
  }

  @Override
  protected void onDisconnected(GXDLMSConnectionEventArgs info) {
    log.debug("association with client {} released", getSettings().getClientAddress());
  }

  // ------------------------------------------------------------------ reads

  @Override
  public void onPreGet(ValueEventArgs[] args) {}

  @Override
  public void onPostGet(ValueEventArgs[] args) {}

  @Override
  public void onPreRead(ValueEventArgs[] args) {
    for (ValueEventArgs e : args) {
      try {
        preRead(e);
      } catch (RuntimeException ex) {
        log.warn("reading {} attribute {} failed: {}", e.getTarget().getLogicalName(), e.getIndex(), ex.toString());
        e.setError(ErrorCode.HARDWARE_FAULT);
      }
    }
  }

  private void preRead(ValueEventArgs e) {
    GXDLMSObject target = e.getTarget();
    int index = e.getIndex();
    if (target instanceof GXDLMSRegister r && index == 2) {
      RegisterDef def = registerDefs.get(r);
      if (def == null) {
        return;
      }
      try {
        r.setValue(raw(def, backend.registerValue(def.obis())));
      } catch (TemporaryFailureException ex) {
        log.debug("{}: temporary failure: {}", def.obis(), ex.getMessage());
        e.setError(ErrorCode.TEMPORARY_FAILURE);
      }
    } else if (target == clock && index == 2) {
      clock.setTime(new GXDateTime(Date.from(backend.now())));
    } else if (target == disconnectControl && (index == 2 || index == 3)) {
      MeterBackend.RelayStatus s = backend.relay();
      disconnectControl.setOutputState(s.outputConnected());
      disconnectControl.setControlState(ControlState.values()[s.controlState()]);
    } else if (target == message && index == 2) {
      message.setValue(backend.message().getBytes(StandardCharsets.UTF_8));
    } else if (target == serial && index == 2) {
      serial.setValue(backend.serialNumber().getBytes(StandardCharsets.US_ASCII));
    } else if (target == firmware && index == 2) {
      firmware.setValue(backend.firmwareId().getBytes(StandardCharsets.US_ASCII));
    } else if (target == imageTransfer) {
      fillImageTransfer();
    } else if (target == activationSchedule && index == 4) {
      Instant at = backend.imageTransfer().scheduledActivation();
      activationSchedule.setExecutionTime(at == null ? new GXDateTime[0]
          : new GXDateTime[] {new GXDateTime(Date.from(at))});
    } else if (target == pushRegisters && index == 3) {
      pushRegisters.setDestination(backend.pushSettings().registersDestination());
    } else if (target == pushEvents && index == 3) {
      pushEvents.setDestination(backend.pushSettings().eventsDestination());
    } else if (target == pushPeriod && index == 2) {
      pushPeriod.setValue(backend.pushSettings().periodSeconds());
    } else if (target == loadProfile) {
      loadProfile.setCapturePeriod(backend.capturePeriodSeconds());
      loadProfile.setEntriesInUse(backend.loadProfileEntries());
      loadProfile.setProfileEntries(backend.loadProfileCapacity());
      if (index == 2) {
        fillProfile(e, true);
      }
    } else if (target == eventLog) {
      eventLog.setEntriesInUse(backend.eventEntries());
      eventLog.setProfileEntries(backend.eventCapacity());
      if (index == 2) {
        fillProfile(e, false);
      }
    }
  }

  private void fillImageTransfer() {
    ImageTransferTarget.Status s = backend.imageTransfer().status();
    imageTransfer.setImageBlockSize(backend.imageTransfer().blockSize());
    imageTransfer.setImageTransferStatus(ImageTransferStatus.values()[s.transferStatus()]);
    imageTransfer.setImageFirstNotTransferredBlockNumber(s.firstMissingBlock());
    if (s.identifier().length == 0) {
      imageTransfer.setImageActivateInfo(new GXDLMSImageActivateInfo[0]);
    } else {
      GXDLMSImageActivateInfo info = new GXDLMSImageActivateInfo();
      info.setSize(s.size());
      info.setIdentification(s.identifier());
      info.setSignature(s.signature());
      imageTransfer.setImageActivateInfo(new GXDLMSImageActivateInfo[] {info});
    }
  }

  /** Wire value of a register: physical / 10^scaler, rounded, clamped to the wire type. */
  static Object raw(RegisterDef def, BigDecimal physical) {
    long v = physical.scaleByPowerOfTen(-def.scaler()).setScale(0, RoundingMode.HALF_UP).longValue();
    long min = def.signed() ? (def.wideValue() ? Integer.MIN_VALUE : Short.MIN_VALUE) : 0;
    long max = def.signed() ? (def.wideValue() ? Integer.MAX_VALUE : Short.MAX_VALUE)
        : (def.wideValue() ? 0xFFFFFFFFL : 0xFFFF);
    v = Math.max(min, Math.min(max, v));
    return switch (CosemObjects.valueType(def)) {
      case INT16 -> (short) v;
      case UINT16, INT32 -> (int) v;
      default -> v;
    };
  }

  /**
   * Puts the selected rows (selective access by range or entry, or all) into the profile buffer and lets Gurux
   * encode them as a plain read; all columns are returned (column selection is not supported).
   */
  private void fillProfile(ValueEventArgs e, boolean load) {
    GXDLMSProfileGeneric pg = load ? loadProfile : eventLog;
    List<Object[]> rows;
    int selector = e.getSelector();
    Object parameters = e.getParameters();
    if (selector == 1 && parameters instanceof List<?> p && p.size() >= 3) {
      Instant from = instant(p.get(1));
      Instant to = instant(p.get(2));
      if (from == null || to == null) {
        e.setError(ErrorCode.OTHER_REASON);
        return;
      }
      rows = load ? profileRows(backend.loadProfile(from, to)) : eventRows(backend.events(from, to));
    } else if (selector == 2 && parameters instanceof List<?> p && p.size() >= 2
        && p.get(0) instanceof Number f && p.get(1) instanceof Number t) {
      long first = Math.max(1, f.longValue() & 0xFFFFFFFFL);
      long last = t.longValue() & 0xFFFFFFFFL;
      if (first > Integer.MAX_VALUE || (last != 0 && last < first)) {
        e.setError(ErrorCode.OTHER_REASON);
        return;
      }
      int count = last == 0 ? 0 : (int) Math.min(Integer.MAX_VALUE, last - first + 1);
      rows = load ? profileRows(backend.loadProfile((int) first, count))
          : eventRows(backend.events((int) first, count));
    } else if (selector == 0 || parameters == null) {
      rows = load ? profileRows(backend.loadProfile(1, 0)) : eventRows(backend.events(1, 0));
    } else {
      e.setError(ErrorCode.OTHER_REASON);
      return;
    }
    pg.clearBuffer();
    pg.addBuffer(rows);
    e.setSelector(0);
    e.setParameters(null);
  }

  /** The text, or null when the bytes are not well-formed UTF-8 (a lenient decoder would insert U+FFFD). */
  private static String strictUtf8(byte[] b) {
    try {
      return StandardCharsets.UTF_8.newDecoder().decode(java.nio.ByteBuffer.wrap(b)).toString();
    } catch (java.nio.charset.CharacterCodingException ex) {
      return null;
    }
  }

  private static Instant instant(Object value) {
    try {
      Object t = value instanceof byte[] b ? GXDLMSClient.changeType(b, DataType.DATETIME) : value;
      if (t instanceof GXDateTime dt) {
        return dt.getMeterCalendar().toInstant();
      }
    } catch (RuntimeException ignored) {
      // a malformed date-time is answered with an error, below
    }
    return null;
  }

  private static List<Object[]> profileRows(List<ProfileRow> rows) {
    List<RegisterDef> defs = MeterObjects.LOAD_PROFILE_COLUMNS.stream()
        .map(o -> MeterObjects.register(o).orElseThrow())
        .toList();
    return rows.stream().map(r -> {
      Object[] row = new Object[2 + defs.size()];
      row[0] = new GXDateTime(Date.from(r.time()));
      for (int i = 0; i < defs.size(); i++) {
        row[i + 1] = raw(defs.get(i), r.values().get(i));
      }
      row[1 + defs.size()] = (short) (r.status() & 0xFF);
      return row;
    }).toList();
  }

  private static List<Object[]> eventRows(List<EventRow> rows) {
    return rows.stream()
        .map(r -> new Object[] {new GXDateTime(Date.from(r.time())), r.code()})
        .toList();
  }

  @Override
  public void onPostRead(ValueEventArgs[] args) {}

  // ------------------------------------------------------------------ writes and actions

  @Override
  protected void onPreWrite(ValueEventArgs[] args) {
    for (ValueEventArgs e : args) {
      if (e.getTarget() == message && e.getIndex() == 2) {
        if (!(e.getValue() instanceof byte[] b)) {
          e.setError(ErrorCode.UNMATCHED_TYPE);
        } else {
          String text = strictUtf8(b);
          String problem = text == null ? "message is not UTF-8" : MeterObjects.messageProblem(text);
          if (problem != null) {
            // refused with a DLMS error, nothing stored or shown; logged without the text itself
            log.info("message refused: {}", problem);
            e.setError(ErrorCode.OTHER_REASON);
          } else {
            backend.setMessage(text);
          }
        }
        e.setHandled(true);
      } else if ((e.getTarget() == pushRegisters || e.getTarget() == pushEvents || e.getTarget() == pushPeriod)
          && e.getIndex() == (e.getTarget() == pushPeriod ? 2 : 3)) {
        writePush(e);
        e.setHandled(true);
      } else if (e.getTarget() == activationSchedule && e.getIndex() == 4) {
        scheduleActivation(e);
        e.setHandled(true);
      } else if (e.getTarget() == clock && e.getIndex() == 2) {
        Instant t = instant(e.getValue());
        if (t == null) {
          e.setError(ErrorCode.UNMATCHED_TYPE);
        } else {
          backend.setClock(t);
        }
        e.setHandled(true);
      }
    }
  }

  /** A push destination (send_destination_and_method: {service, destination, message}) or the push period. */
  private void writePush(ValueEventArgs e) {
    PushSettings current = backend.pushSettings();
    PushSettings next;
    try {
      if (e.getTarget() == pushPeriod) {
        if (!(e.getValue() instanceof Number n)) {
          e.setError(ErrorCode.UNMATCHED_TYPE);
          return;
        }
        next = current.withPeriod(n.longValue());
      } else {
        if (!(e.getValue() instanceof List<?> l) || l.size() < 2 || !(l.get(1) instanceof byte[] b)) {
          e.setError(ErrorCode.UNMATCHED_TYPE);
          return;
        }
        String url = strictUtf8(b);
        if (url == null) {
          e.setError(ErrorCode.OTHER_REASON);
          return;
        }
        next = e.getTarget() == pushRegisters ? current.withRegistersDestination(url)
            : current.withEventsDestination(url);
      }
      backend.setPushSettings(next);
    } catch (IllegalArgumentException ex) {
      log.info("push setting refused: {}", ex.getMessage());
      e.setError(ErrorCode.OTHER_REASON);
    } catch (UnsupportedOperationException ex) {
      e.setError(ErrorCode.READ_WRITE_DENIED);
    }
  }

  @Override
  protected void onPostWrite(ValueEventArgs[] args) {}

  @Override
  protected void onPreAction(ValueEventArgs[] args) {
    for (ValueEventArgs e : args) {
      if (e.getTarget() == securitySetup && e.getIndex() == 2) {
        transferKeys(e);
        e.setHandled(true);
      } else if (e.getTarget() == imageTransfer) {
        imageAction(e);
        e.setHandled(true);
      } else if (e.getTarget() == disconnectControl) {
        // Gurux would only flip its own fields; the relay is ours
        if (e.getIndex() == 1) {
          backend.disconnect();
        } else if (e.getIndex() == 2) {
          backend.reconnect();
        } else {
          e.setError(ErrorCode.READ_WRITE_DENIED);
        }
        e.setHandled(true);
      }
    }
  }

  @Override
  protected void onPostAction(ValueEventArgs[] args) {}

  /**
   * The image transfer methods: 1 initiate {identifier, size}, 2 block {number, value}, 3 verify, 4 activate. A
   * refused step answers OTHER_REASON (a malformed parameter TYPE_UNMATCHED) and is logged with its reason.
   */
  /** execution_time of the image activation schedule: one date-time (activate then) or none (cancel). */
  private void scheduleActivation(ValueEventArgs e) {
    GXDateTime[] times;
    try {
      GXDLMSActionSchedule parsed = new GXDLMSActionSchedule(MeterObjects.IMAGE_ACTIVATION_SCHEDULE.toString());
      parsed.setValue(getSettings(), e);
      times = parsed.getExecutionTime();
    } catch (RuntimeException ex) {
      e.setError(ErrorCode.UNMATCHED_TYPE);
      return;
    }
    if (times == null || times.length > 1) {
      e.setError(ErrorCode.OTHER_REASON);
      return;
    }
    try {
      backend.imageTransfer().scheduleActivation(times.length == 0 ? null
          : times[0].getMeterCalendar().toInstant().truncatedTo(java.time.temporal.ChronoUnit.SECONDS));
    } catch (ImageTransferTarget.Refused ex) {
      log.warn("firmware: activation schedule refused: {}", ex.getMessage());
      e.setError(ErrorCode.OTHER_REASON);
    } catch (RuntimeException ex) {
      e.setError(ErrorCode.UNMATCHED_TYPE);
    }
  }

  private static final String[] IMAGE_METHODS = {"", "image_transfer_initiate", "image_block_transfer",
      "image_verify", "image_activate"};

  private void imageAction(ValueEventArgs e) {
    ImageTransferTarget target = backend.imageTransfer();
    Object p = e.getParameters();
    try {
      switch (e.getIndex()) {
        case 1 -> {
          if (!(p instanceof List<?> l) || l.size() != 2 || !(l.get(0) instanceof byte[] id)
              || !(l.get(1) instanceof Number size)) {
            e.setError(ErrorCode.UNMATCHED_TYPE);
            return;
          }
          target.initiate(id, size.longValue() & 0xFFFFFFFFL);
        }
        case 2 -> {
          if (!(p instanceof List<?> l) || l.size() != 2 || !(l.get(0) instanceof Number n)
              || !(l.get(1) instanceof byte[] data)) {
            e.setError(ErrorCode.UNMATCHED_TYPE);
            return;
          }
          target.block(n.longValue() & 0xFFFFFFFFL, data);
        }
        case 3 -> target.verify();
        case 4 -> target.activate();
        default -> e.setError(ErrorCode.READ_WRITE_DENIED);
      }
    } catch (ImageTransferTarget.Refused ex) {
      log.warn("firmware: {} refused: {}", IMAGE_METHODS[e.getIndex()], ex.getMessage());
      e.setError(ErrorCode.OTHER_REASON);
    }
  }

  /**
   * key_transfer: an array of {key_id, key_wrapped}, each key wrapped with the KEK (AES key wrap, RFC 3394, whose
   * integrity check proves the sender holds the KEK). Both the unicast encryption key (0) and the authentication
   * key (2) must be in one transfer, so the meter never holds a half-rotated pair; nothing is stored unless every
   * key unwraps. The KEK itself (3) and the broadcast key (1) are not transferred.
   */
  private void transferKeys(ValueEventArgs e) {
    if (keyTransfer == null || kek == null) {
      log.info("key transfer refused: these keys cannot be rotated (no key-encryption key)");
      e.setError(ErrorCode.READ_WRITE_DENIED);
      return;
    }
    byte[] ak = null;
    byte[] ek = null;
    if (!(e.getParameters() instanceof List<?> entries) || entries.isEmpty()) {
      e.setError(ErrorCode.UNMATCHED_TYPE);
      return;
    }
    for (Object o : entries) {
      if (!(o instanceof List<?> entry) || entry.size() != 2 || !(entry.get(0) instanceof Number id)
          || !(entry.get(1) instanceof byte[] wrapped)) {
        e.setError(ErrorCode.UNMATCHED_TYPE);
        return;
      }
      byte[] key;
      try {
        key = gurux.dlms.secure.GXDLMSSecureClient.decrypt(kek, wrapped);
      } catch (RuntimeException ex) {
        log.info("key transfer refused: a key does not unwrap with the key-encryption key");
        backend.authenticationFailed("key transfer", "key does not unwrap with the key-encryption key");
        e.setError(ErrorCode.OTHER_REASON);
        return;
      }
      if (key.length != 16) {
        e.setError(ErrorCode.OTHER_REASON);
        return;
      }
      switch (id.intValue()) {
        case 0 -> ek = key;
        case 2 -> ak = key;
        default -> {
          log.info("key transfer refused: key type {} is not transferred", id);
          e.setError(ErrorCode.READ_WRITE_DENIED);
          return;
        }
      }
    }
    if (ak == null || ek == null) {
      log.info("key transfer refused: the encryption and the authentication key must come together");
      e.setError(ErrorCode.OTHER_REASON);
      return;
    }
    try {
      keyTransfer.transferred(ak, ek);
    } catch (UnsupportedOperationException ex) {
      log.info("key transfer refused: {}", ex.getMessage());
      e.setError(ErrorCode.READ_WRITE_DENIED);
    } catch (IOException | RuntimeException ex) {
      log.warn("key transfer not stored: {}", ex.getMessage());
      e.setError(ErrorCode.HARDWARE_FAULT);
    }
  }

}
