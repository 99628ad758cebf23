package org.s3mp.meter;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.s3mp.dlms.MeterEvent;
import org.s3mp.dlms.MeterObjects;
import org.s3mp.dlms.ObisCode;
import org.s3mp.dlms.server.MeterBackend;
import org.s3mp.dlms.server.PushSettings;
import org.s3mp.dlms.server.TemporaryFailureException;
import org.s3mp.meter.drivers.Display;
import org.s3mp.meter.drivers.Relay;
import org.s3mp.meter.source.MeterSource;
import org.s3mp.meter.source.SimulatedMeter;
import org.s3mp.meter.source.SourceUnavailableException;
import org.s3mp.meter.store.AgentState;
import org.s3mp.meter.store.EventLog;
import org.s3mp.meter.store.LoadProfileStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The meter agent behind the DLMS server: source, relay, display and the persistent stores. */
final class AgentBackend implements MeterBackend {
  private static final Logger log = LoggerFactory.getLogger(AgentBackend.class);
  /** Failed authentications closer together than this are logged as one event (no log flooding). */
  static final Duration AUTH_FAILURE_COLLAPSE = Duration.ofSeconds(60);
  private static final List<ObisCode> LOAD_SIDE = List.of(MeterObjects.CURRENT_L1,
      MeterObjects.ACTIVE_POWER_IMPORT, MeterObjects.ACTIVE_POWER_EXPORT, MeterObjects.REACTIVE_POWER,
      MeterObjects.APPARENT_POWER);

  private final AgentState state;
  private final MeterSource source;
  private final Relay relay;
  private final Display display;
  private final LoadProfileStore profile;
  private final EventLog events;
  private final String serialNumber;
  private final int capturePeriod;
  /**
   * The simulated energy register as persisted. It is always at least every value served, so the register never
   * goes backwards after a crash: serving a higher value first persists that value plus {@link #ENERGY_RESERVE_WH}
   * (one fsync per reserve consumed, not per read). A crash may thus add up to the reserve to the register.
   */
  private BigDecimal persistedEnergyWh;
  static final BigDecimal ENERGY_RESERVE_WH = BigDecimal.ONE;
  private Runnable clockSetListener = () -> {};
  /** The events a meter pushes at once (the others only go to the event log). */
  static final java.util.Set<MeterEvent> PUSHED_EVENTS = java.util.EnumSet.of(MeterEvent.DISCONNECT,
      MeterEvent.RECONNECT, MeterEvent.MESSAGE_SHOWN, MeterEvent.POWER_FAILURE, MeterEvent.POWER_RESTORED);
  private java.util.function.Consumer<MeterEvent> pushEvent = e -> {};
  private Runnable pushSettingsChanged = () -> {};
  /** A simulated outage: no mains, so nothing can be measured. */
  private boolean mainsLost;
  private Instant expectedCapture;
  private FirmwareStore firmware;

  AgentBackend(AgentState state, MeterSource source, Relay relay, Display display, LoadProfileStore profile,
      EventLog events, String serialNumber, int capturePeriod) {
    this.state = state;
    this.source = source;
    this.relay = relay;
    this.display = display;
    this.profile = profile;
    this.events = events;
    this.serialNumber = serialNumber;
    this.capturePeriod = capturePeriod;
    this.persistedEnergyWh = state.simulatedEnergyWh();
  }

  /** Brings relay and display to the persisted state and logs the start. */
  synchronized void start() throws IOException {
    boolean connected = state.relayConnected();
    relay.set(connected);
    source.loadConnected(connected);
    display.show(state.message());
    events.add(now(), MeterEvent.AGENT_START);
  }

  @Override
  public String serialNumber() {
    return serialNumber;
  }

  @Override
  public String firmwareId() {
    FirmwareStore f = firmware;
    return f == null ? builtInFirmwareId() : f.activeId();
  }

  /** The firmware id of this program, active until an image is activated. */
  static String builtInFirmwareId() {
    String v = AgentBackend.class.getPackage().getImplementationVersion();
    return "s3mp-meter " + (v == null ? "dev" : v);
  }

  /** Where images go; set once at start, before the server serves. */
  void firmware(FirmwareStore store) {
    this.firmware = store;
  }

  void activateFirmwareIfDue() {
    FirmwareStore f = firmware;
    if (f != null) {
      f.activateIfDue(now());
    }
  }

  @Override
  public org.s3mp.dlms.server.ImageTransferTarget imageTransfer() {
    return firmware;
  }

  @Override
  public synchronized BigDecimal registerValue(ObisCode register) throws TemporaryFailureException {
    if (!state.relayConnected() && LOAD_SIDE.contains(register)) {
      // the relay cuts the load: nothing flows, whatever the meter in front of it still shows
      return BigDecimal.ZERO;
    }
    if (mainsLost) {
      throw new TemporaryFailureException("no mains (power failure)", null);
    }
    try {
      BigDecimal value = source.read(register);
      if (register.equals(MeterObjects.ACTIVE_ENERGY_IMPORT) && source instanceof SimulatedMeter
          && value.compareTo(persistedEnergyWh) > 0) {
        saveEnergy(value.add(ENERGY_RESERVE_WH));
      }
      return value;
    } catch (SourceUnavailableException e) {
      throw new TemporaryFailureException(e.getMessage(), e);
    }
  }

  @Override
  public Instant now() {
    return Instant.now().plusMillis(state.clockOffsetMillis());
  }

  /**
   * A client sets the clock. The load profile stays consistent (see README, "Clock"): a capture that was due
   * before the set is taken first; capture times skipped by a forward set are filled with the registers at the
   * set, marked clock-adjusted; after a backward set no capture time already in the profile is captured again;
   * the first regular row after the set is marked clock-adjusted. The event log gets the old and the new time.
   */
  @Override
  public synchronized void setClock(Instant time) {
    Instant old = now();
    if (expectedCapture != null && !expectedCapture.isAfter(old)) {
      capture(expectedCapture); // its task is late; after a forward set it would be out of order
    }
    source.clockSet(time);
    state.clockOffsetMillis(time.toEpochMilli() - System.currentTimeMillis());
    eventAt(old, MeterEvent.CLOCK_ADJUSTED_OLD_TIME);
    eventAt(time, MeterEvent.CLOCK_ADJUSTED_NEW_TIME);
    List<Instant> skipped = ProfileCalendar.skippedByForwardSet(profile.lastTime(), old, time, capturePeriod,
        profile.capacity());
    if (!skipped.isEmpty()) {
      try {
        profile.appendAll(skipped, captureValues(), MeterObjects.STATUS_CLOCK_ADJUSTED);
      } catch (TemporaryFailureException | IOException e) {
        log.warn("load profile: {} capture times skipped by the clock set not filled: {}", skipped.size(),
            e.getMessage());
      }
    }
    state.profileClockAdjusted(true);
    log.info("clock set from {} to {} ({} ms); {} skipped capture times filled", old, time,
        time.toEpochMilli() - old.toEpochMilli(), skipped.size());
    clockSetListener.run();
  }

  /** Told after every clock set (the agent re-plans its captures on the new clock). */
  void onClockSet(Runnable listener) {
    this.clockSetListener = listener;
  }

  /** The capture time the agent's scheduler waits for next. */
  synchronized void expectCapture(Instant time) {
    this.expectedCapture = time;
  }

  @Override
  public synchronized RelayStatus relay() {
    boolean c = state.relayConnected();
    return new RelayStatus(c, c ? 1 : 0);
  }

  @Override
  public synchronized void disconnect() {
    switchRelay(false);
  }

  @Override
  public synchronized void reconnect() {
    switchRelay(true);
  }

  private void switchRelay(boolean connected) {
    try {
      relay.set(connected);
    } catch (IOException e) {
      throw new UncheckedIOException("relay did not switch", e);
    }
    source.loadConnected(connected);
    boolean changed = state.relayConnected() != connected;
    state.relayConnected(connected);
    if (changed) {
      event(connected ? MeterEvent.RECONNECT : MeterEvent.DISCONNECT);
    }
  }

  @Override
  public synchronized String message() {
    return state.message();
  }

  @Override
  public synchronized void setMessage(String text) {
    try {
      display.show(text);
    } catch (IOException e) {
      throw new UncheckedIOException("display failed", e);
    }
    state.message(text);
    event(MeterEvent.MESSAGE_SHOWN);
  }

  @Override
  public PushSettings pushSettings() {
    return state.pushSettings();
  }

  @Override
  public synchronized void setPushSettings(PushSettings settings) {
    state.pushSettings(settings);
    log.info("push settings: registers to '{}' every {} s, events to '{}'", settings.registersDestination(),
        settings.periodSeconds(), settings.eventsDestination());
    pushSettingsChanged.run();
  }

  /** Told of every event to push and of every change of the push settings (the agent's push notifier). */
  synchronized void onPush(java.util.function.Consumer<MeterEvent> events, Runnable settingsChanged) {
    this.pushEvent = events;
    this.pushSettingsChanged = settingsChanged;
  }

  /** Mains lost (simulated outage): logs and pushes the last gasp; measurements fail until restored. */
  synchronized void powerFailure() {
    event(MeterEvent.POWER_FAILURE);
    mainsLost = true;
  }

  synchronized void powerRestored() {
    mainsLost = false;
    event(MeterEvent.POWER_RESTORED);
  }

  @Override
  public int capturePeriodSeconds() {
    return capturePeriod;
  }

  @Override
  public List<ProfileRow> loadProfile(Instant from, Instant to) {
    return profile.range(from, to);
  }

  @Override
  public List<ProfileRow> loadProfile(int first, int count) {
    return profile.entries(first, count);
  }

  @Override
  public int loadProfileEntries() {
    return profile.size();
  }

  @Override
  public int loadProfileCapacity() {
    return profile.capacity();
  }

  @Override
  public List<EventRow> events(Instant from, Instant to) {
    return events.range(from, to);
  }

  @Override
  public List<EventRow> events(int first, int count) {
    return events.entries(first, count);
  }

  @Override
  public int eventEntries() {
    return events.size();
  }

  @Override
  public int eventCapacity() {
    return events.capacity();
  }

  @Override
  public synchronized void authenticationFailed(String peer, String reason) {
    EventRow last = events.last();
    if (last != null && last.code() == MeterEvent.AUTHENTICATION_FAILED.code()
        && Duration.between(last.time(), now()).compareTo(AUTH_FAILURE_COLLAPSE) < 0) {
      return;
    }
    event(MeterEvent.AUTHENTICATION_FAILED);
  }

  private void event(MeterEvent e) {
    eventAt(now(), e);
  }

  private void eventAt(Instant time, MeterEvent e) {
    try {
      events.add(time, e);
    } catch (IOException ex) {
      log.error("cannot store event {}: {}", e, ex.getMessage());
    }
    if (PUSHED_EVENTS.contains(e)) {
      pushEvent.accept(e); // only queued: never blocks the meter
    }
  }

  /**
   * One load profile capture at the given (period-aligned) time, unless that time is already in the profile or
   * not reached yet (both only after the clock was set back).
   */
  synchronized void capture(Instant time) {
    if (!ProfileCalendar.due(time, profile.lastTime(), now())) {
      log.debug("load profile capture at {} skipped: captured already or not due (clock set back)", time);
      return;
    }
    List<BigDecimal> values;
    try {
      values = captureValues();
    } catch (TemporaryFailureException e) {
      log.warn("load profile capture at {} skipped: {}", time, e.getMessage());
      return;
    }
    boolean adjusted = state.profileClockAdjusted();
    try {
      profile.append(time, values, adjusted ? MeterObjects.STATUS_CLOCK_ADJUSTED : 0);
      if (adjusted) {
        state.profileClockAdjusted(false);
      }
    } catch (IOException e) {
      log.error("cannot store load profile entry: {}", e.getMessage());
    }
    persistEnergy();
  }

  private List<BigDecimal> captureValues() throws TemporaryFailureException {
    List<BigDecimal> values = new ArrayList<>();
    for (ObisCode column : MeterObjects.LOAD_PROFILE_COLUMNS) {
      values.add(registerValue(column));
    }
    return values;
  }

  /**
   * Saves the simulated energy register exactly (a real meter keeps its own): the register only grows, so its
   * value now is at least every value served, and a clean stop leaves no reserve behind.
   */
  synchronized void persistEnergy() {
    if (source instanceof SimulatedMeter sim) {
      BigDecimal now = sim.energyImportWh();
      if (now.compareTo(persistedEnergyWh) != 0) {
        saveEnergy(now);
      }
    }
  }

  private void saveEnergy(BigDecimal wh) {
    state.simulatedEnergyWh(wh);
    persistedEnergyWh = wh;
  }
}
