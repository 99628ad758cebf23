package org.s3mp.headend.polling;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import org.s3mp.headend.commands.AuditLog;
import org.s3mp.headend.fleet.FleetRegistry;
import org.s3mp.headend.fleet.MeterSpec;
import org.s3mp.headend.fleet.Reading;
import org.s3mp.headend.storage.ProfileStore;
import org.s3mp.headend.storage.ReadingStore;

/** Runs one {@link MeterSession} per registered meter and routes reads and commands to it. */
public final class FleetPoller implements AutoCloseable {

  private final MeterConnector connector;
  private final ReadingStore readings;
  private final ProfileStore profiles;
  private final FleetRegistry registry;
  private final PollingSettings settings;
  private final ClockSettings clockSettings;
  private final AuditLog audit;
  private final MeterRegistry metrics;
  private final Map<String, MeterSession> sessions = new ConcurrentHashMap<>();
  /** Association set-ups in progress at once (each is a few DLMS exchanges with key derivation on both ends). */
  private final java.util.concurrent.Semaphore associationSlots = new java.util.concurrent.Semaphore(16);
  private volatile SessionEvents events = SessionEvents.NONE;
  /** Hands every event to the current {@link #events} (sessions keep this one). */
  private final SessionEvents dispatch = new SessionEvents() {
    @Override
    public void associationFailed(String meterId, String reason) {
      events.associationFailed(meterId, reason);
    }

    @Override
    public void associated(String meterId) {
      events.associated(meterId);
    }

    @Override
    public void commandRefused(String meterId, String command, String reason) {
      events.commandRefused(meterId, command, reason);
    }
  };

  public FleetPoller(MeterConnector connector, ReadingStore readings, ProfileStore profiles, FleetRegistry registry,
      PollingSettings settings, ClockSettings clockSettings, AuditLog audit, MeterRegistry metrics) {
    this.clockSettings = clockSettings;
    this.audit = audit;
    this.connector = connector;
    this.readings = readings;
    this.profiles = profiles;
    this.registry = registry;
    this.settings = settings;
    this.metrics = metrics;
    Gauge.builder("headend.meters", sessions, Map::size).description("meters in the fleet").register(metrics);
    Gauge.builder("headend.meters.connected", sessions,
            s -> s.values().stream().filter(m -> m.status().connected()).count())
        .description("meters with an open association").register(metrics);
  }

  /** Who hears of failed associations and refused commands (the alarms); set before {@link #start()}. */
  public void setEvents(SessionEvents events) {
    this.events = events == null ? SessionEvents.NONE : events;
  }

  /** Starts sessions for every registered meter, resuming continuous reading where it was on. */
  public void start() {
    for (MeterSpec spec : registry.all()) {
      startSession(spec, registry.continuous(spec.id()));
    }
  }

  /** Starts polling a meter that was just added to the registry. */
  public void add(MeterSpec spec) {
    startSession(spec, false);
  }

  public void remove(String id) {
    MeterSession s = sessions.remove(id);
    if (s != null) {
      s.close();
    }
  }

  public CompletableFuture<Reading> readOnce(String id) {
    return session(id).readOnce();
  }

  public void setContinuous(String id, boolean enabled) {
    MeterSession s = session(id);
    registry.setContinuous(id, enabled);
    s.setContinuous(enabled);
  }

  public CompletableFuture<String> disconnect(String id) {
    return confirmed(id, "disconnect", session(id).command(MeterConnection::disconnect), "disconnected"::equals);
  }

  public CompletableFuture<String> reconnect(String id) {
    return confirmed(id, "reconnect", session(id).command(MeterConnection::reconnect), r -> !"disconnected".equals(r));
  }

  public CompletableFuture<String> showMessage(String id, String text) {
    return confirmed(id, "message", session(id).command(c -> c.showMessage(text)), text::equals);
  }

  /** The meter's push settings, read from it. */
  public CompletableFuture<org.s3mp.dlms.server.PushSettings> pushSettings(String id) {
    return session(id).call(MeterConnection::readPushSettings);
  }

  /** Sets where (both push setups) and how often (registers) the meter pushes; completes with the read-back. */
  public CompletableFuture<org.s3mp.dlms.server.PushSettings> setPush(String id, String destination, long period) {
    return confirmed(id, "push-set", session(id).call(c -> c.setPush(destination, period)),
        p -> p.equals(new org.s3mp.dlms.server.PushSettings(destination, period, destination)));
  }

  /** Collects the load profile now (it also runs on its schedule); completes with the number of new values. */
  public CompletableFuture<Integer> collectProfile(String id) {
    return session(id).collectProfileNow();
  }

  /** Reads the meter's clock now; the drift is recorded (the meter's status, the metric), the clock not set. */
  public CompletableFuture<ClockReading> readClock(String id) {
    return session(id).readClock();
  }

  /**
   * Sets the meter's clock to the head-end's time whatever its drift, then reads it back; the caller audits.
   */
  public CompletableFuture<ClockSet> setClock(String id) {
    return confirmed(id, "clock-set", session(id).setClock(), ClockSet::confirmed);
  }

  /**
   * A meter pushed an event with its relay state ({@code connected}: true/false; null: none in the event): the
   * meter's status takes it at once. Unknown meters are ignored (one removed since it pushed).
   */
  public void relayPushed(String id, Boolean connected) {
    MeterSession s = sessions.get(id);
    if (s != null && connected != null) {
      s.relayPushed(connected ? "connected" : "disconnected");
    }
  }

  public Optional<MeterStatus> status(String id) {
    MeterSession s = sessions.get(id);
    return s == null ? Optional.empty() : Optional.of(s.status());
  }

  public List<MeterStatus> statuses() {
    List<MeterStatus> result = new ArrayList<>();
    for (MeterSpec spec : registry.all()) {
      status(spec.id()).ifPresent(result::add);
    }
    return result;
  }

  /**
   * Stops every session: nothing new is scheduled, reads in progress get up to 60 s to finish and queue their
   * reading (a meter read is bounded by its timeout; queueing waits while storage is behind, and the store's
   * writer goes on meanwhile), then the associations are closed. Close the poller before the reading store.
   */
  @Override
  public void close() {
    List<MeterSession> all = new ArrayList<>(sessions.values());
    sessions.clear();
    all.forEach(MeterSession::stopPolling);
    long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(60);
    all.parallelStream().forEach(s -> s.awaitStopped(deadline));
  }

  /** Tells {@link #events} of a command that failed or whose read-back does not confirm it. */
  private <T> CompletableFuture<T> confirmed(String id, String command, CompletableFuture<T> result,
      java.util.function.Predicate<T> confirms) {
    return result.whenComplete((value, error) -> {
      if (error != null) {
        Throwable cause = error instanceof java.util.concurrent.CompletionException && error.getCause() != null
            ? error.getCause() : error;
        events.commandRefused(id, command, cause.getMessage() == null ? cause.toString() : cause.getMessage());
      } else if (!confirms.test(value)) {
        events.commandRefused(id, command, "not confirmed, read back: " + value);
      }
    });
  }

  private void startSession(MeterSpec spec, boolean continuous) {
    MeterSession s = new MeterSession(spec, connector, readings, profiles, settings, clockSettings, audit, metrics,
        associationSlots, dispatch);
    MeterSession old = sessions.put(spec.id(), s);
    if (old != null) {
      old.close();
    }
    s.start(continuous);
  }

  private MeterSession session(String id) {
    MeterSession s = sessions.get(id);
    if (s == null) {
      throw new NoSuchElementException("no meter " + id);
    }
    return s;
  }
}
