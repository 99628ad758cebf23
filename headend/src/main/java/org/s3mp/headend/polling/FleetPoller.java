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
import java.util.concurrent.TimeUnit;
import org.s3mp.headend.commands.AuditLog;
import org.s3mp.headend.fleet.FleetRegistry;
import org.s3mp.headend.fleet.MeterSpec;
import org.s3mp.headend.fleet.Reading;
import org.s3mp.headend.storage.ProfileStore;
import org.s3mp.headend.storage.ReadingStore;

/**
 * Runs one {@link MeterSession} per registered meter and routes reads and commands to it. The sessions have no
 * threads of their own: one timer thread times every meter's polls, and a bounded pool of workers that exist only
 * while there is work runs their DLMS exchanges, each meter's one at a time.
 */
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
  /** Association set-ups in progress at once ({@link PollingSettings#associationSlots()}). */
  private final AssociationSlots associationSlots;
  /** Times every session's periodic tasks; a tick only queues the task with its session. */
  private final java.util.concurrent.ScheduledThreadPoolExecutor timer;
  /** Meters in a DLMS exchange at once ({@link PollingSettings#workers()}). */
  private final MeterWorkers workers;
  private volatile boolean closed;
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
  /** Meters other instances hold (scale-out); null: this is the only instance and polls every meter. */
  private volatile RemoteMeters remote;

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
    this.associationSlots = new AssociationSlots(settings.associationSlots());
    this.workers = new MeterWorkers("meter-io-", settings.workers(), 30, TimeUnit.SECONDS);
    Gauge.builder("headend.meters", sessions, Map::size).description("meters in the fleet").register(metrics);
    Gauge.builder("headend.meters.connected", sessions,
            s -> s.values().stream().filter(m -> m.status().connected()).count())
        .description("meters with an open association").register(metrics);
    timer = new java.util.concurrent.ScheduledThreadPoolExecutor(1, r -> {
      Thread t = new Thread(r, "meter-timer");
      t.setDaemon(true);
      return t;
    });
    timer.setRemoveOnCancelPolicy(true); // a removed meter's periodic tasks leave the timer's queue at once
    Gauge.builder("headend.polling.workers.busy", workers, MeterWorkers::busy)
        .description("meter operations running now, each on a worker thread (at most " + settings.workers()
            + ", polling.workers)")
        .register(metrics);
    Gauge.builder("headend.polling.workers.threads", workers, MeterWorkers::threads)
        .description("worker threads alive (at work or idle for less than 30 s)").register(metrics);
    Gauge.builder("headend.polling.workers.waiting", workers, MeterWorkers::waiting)
        .description("meter operations due but waiting for a worker (all busy)").register(metrics);
    Gauge.builder("headend.polling.associations.waiting", associationSlots, AssociationSlots::waiting)
        .description("meters waiting to open an association (at most " + settings.associationSlots()
            + " are opened at once, polling.associationSlots)").register(metrics);
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

  /**
   * Scale-out: from now on this poller polls only the meters it is given ({@link #hold}), and asks
   * {@code remote} for the others. Call instead of {@link #start()}.
   */
  public void shareWith(RemoteMeters remote) {
    this.remote = remote;
  }

  /** Starts polling a meter whose lease this instance just took (resuming continuous reading if it was on). */
  public void hold(MeterSpec spec, boolean continuous) {
    startSession(spec, continuous);
  }

  /** Stops polling a meter (its lease is given up next); what a read in progress took is still stored. */
  public void release(String id) {
    MeterSession s = sessions.remove(id);
    if (s != null) {
      s.close();
    }
  }

  /** The meters polled here. */
  public java.util.Set<String> held() {
    return java.util.Set.copyOf(sessions.keySet());
  }

  /** What this instance knows of the meters it polls (for the other instances' APIs). */
  public List<MeterStatus> heldStatuses() {
    List<MeterStatus> result = new ArrayList<>();
    sessions.values().forEach(s -> result.add(s.status()));
    return result;
  }

  /** Follows a continuous flag another instance's API set in the registry. */
  public void followContinuous(String id, boolean enabled) {
    MeterSession s = sessions.get(id);
    if (s != null && s.continuous() != enabled) {
      s.setContinuous(enabled);
    }
  }

  /**
   * Runs an operation another instance accepted (a command, or one of the {@code OP_} operations with the
   * argument {@link #viaHolder} was given), here where the meter's session is; null when the meter is not held
   * here (any longer). Completes with what the local call returns (a String for the commands).
   */
  public CompletableFuture<?> commandHere(String id, String action, String argument) {
    MeterSession s = sessions.get(id);
    if (s == null) {
      return null;
    }
    return switch (action) {
      case OP_READ -> s.readOnce();
      case OP_CLOCK_READ -> s.readClock();
      case OP_CLOCK_SET -> s.setClock();
      case OP_PUSH_READ -> s.call(MeterConnection::readPushSettings);
      case OP_PUSH_SET -> {
        int nl = argument.indexOf('\n');
        long period = Long.parseLong(argument.substring(0, nl));
        String destination = argument.substring(nl + 1);
        yield s.call(c -> c.setPush(destination, period));
      }
      case OP_PROFILE -> s.collectProfileNow();
      default -> s.command(operation(action, argument));
    };
  }

  /** Operations other than the commands that an instance hands to the meter's holder (scale-out). */
  public static final String OP_READ = "read";
  public static final String OP_CLOCK_READ = "clock-read";
  public static final String OP_CLOCK_SET = "clock-set";
  public static final String OP_PUSH_READ = "push-read";
  public static final String OP_PUSH_SET = "push-set";
  public static final String OP_PROFILE = "profile";

  /**
   * For a registered meter another instance holds: {@code operation} handed to the holder, completing with its
   * result; empty when the meter is polled here (or this is the only instance).
   *
   * @throws NoSuchElementException no such meter at all
   */
  public <T> Optional<CompletableFuture<T>> viaHolder(String id, String operation, String argument, Class<T> type) {
    if (sessions.containsKey(id)) {
      return Optional.empty();
    }
    RemoteMeters r = remote;
    if (r == null || registry.find(id).isEmpty()) {
      throw new NoSuchElementException("no meter " + id);
    }
    return Optional.of(r.call(id, operation, argument, type));
  }

  /** Starts polling a meter that was just added to the registry (scale-out: the instance that leases it will). */
  public void add(MeterSpec spec) {
    if (remote == null) {
      startSession(spec, false);
    }
  }

  public void remove(String id) {
    MeterSession s = sessions.remove(id);
    if (s != null) {
      s.close();
    }
  }

  public CompletableFuture<Reading> readOnce(String id) {
    return viaHolder(id, OP_READ, null, Reading.class).orElseGet(() -> session(id).readOnce());
  }

  public void setContinuous(String id, boolean enabled) {
    MeterSession s = sessions.get(id);
    if (s == null && (remote == null || registry.find(id).isEmpty())) {
      throw new NoSuchElementException("no meter " + id);
    }
    registry.setContinuous(id, enabled); // the holder, when it is another instance, follows within a lease renewal
    if (s != null) {
      s.setContinuous(enabled);
    }
  }

  public CompletableFuture<String> disconnect(String id) {
    return confirmed(id, "disconnect", command(id, "disconnect", null), "disconnected"::equals);
  }

  public CompletableFuture<String> reconnect(String id) {
    return confirmed(id, "reconnect", command(id, "reconnect", null), r -> !"disconnected".equals(r));
  }

  public CompletableFuture<String> showMessage(String id, String text) {
    return confirmed(id, "message", command(id, "message", text), text::equals);
  }

  /** A command on the meter's own session here, or handed to the instance holding it. */
  private CompletableFuture<String> command(String id, String action, String argument) {
    MeterSession s = sessions.get(id);
    if (s != null) {
      return s.command(operation(action, argument));
    }
    if (remote != null && registry.find(id).isPresent()) {
      return remote.command(id, action, argument);
    }
    throw new NoSuchElementException("no meter " + id);
  }

  private static MeterSession.Operation<String> operation(String action, String argument) {
    return switch (action) {
      case "disconnect" -> MeterConnection::disconnect;
      case "reconnect" -> MeterConnection::reconnect;
      case "message" -> c -> c.showMessage(argument);
      default -> throw new IllegalArgumentException("unknown command " + action);
    };
  }

  /** The meter's push settings, read from it. */
  public CompletableFuture<org.s3mp.dlms.server.PushSettings> pushSettings(String id) {
    return viaHolder(id, OP_PUSH_READ, null, org.s3mp.dlms.server.PushSettings.class)
        .orElseGet(() -> session(id).call(MeterConnection::readPushSettings));
  }

  /** Sets where (both push setups) and how often (registers) the meter pushes; completes with the read-back. */
  public CompletableFuture<org.s3mp.dlms.server.PushSettings> setPush(String id, String destination, long period) {
    return confirmed(id, "push-set", viaHolder(id, OP_PUSH_SET, period + "\n" + destination,
            org.s3mp.dlms.server.PushSettings.class).orElseGet(() -> session(id).call(c -> c.setPush(destination, period))),
        p -> p.equals(new org.s3mp.dlms.server.PushSettings(destination, period, destination)));
  }

  /**
   * Transfers a firmware image to a meter held here, on its session (its association, between its polls); the
   * caller audits. Fails with {@link MeterElsewhereException} when another instance holds the meter.
   */
  public CompletableFuture<String> transferFirmware(String id, byte[] image, String firmwareId,
      java.time.Instant activateAt, FirmwareProgress progress) {
    return session(id).call(c -> c.transferFirmware(image, firmwareId, activateAt, progress));
  }

  /** The active firmware id of a meter held here. */
  public CompletableFuture<String> readFirmwareId(String id) {
    return session(id).call(MeterConnection::readFirmwareId);
  }

  /** Whether this instance holds the meter (polls it, and so may transfer to it). */
  public boolean holds(String id) {
    return sessions.containsKey(id);
  }

  /** Collects the load profile now (it also runs on its schedule); completes with the number of new values. */
  public CompletableFuture<Integer> collectProfile(String id) {
    return viaHolder(id, OP_PROFILE, null, Integer.class).orElseGet(() -> session(id).collectProfileNow());
  }

  /** Reads the meter's clock now; the drift is recorded (the meter's status, the metric), the clock not set. */
  public CompletableFuture<ClockReading> readClock(String id) {
    return viaHolder(id, OP_CLOCK_READ, null, ClockReading.class).orElseGet(() -> session(id).readClock());
  }

  /**
   * Sets the meter's clock to the head-end's time whatever its drift, then reads it back; the caller audits.
   */
  public CompletableFuture<ClockSet> setClock(String id) {
    return confirmed(id, "clock-set", viaHolder(id, OP_CLOCK_SET, null, ClockSet.class)
        .orElseGet(() -> session(id).setClock()), ClockSet::confirmed);
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
    if (s != null) {
      return Optional.of(s.status());
    }
    RemoteMeters r = remote;
    return r == null ? Optional.empty() : r.status(id);
  }

  public List<MeterStatus> statuses() {
    RemoteMeters r = remote;
    Map<String, MeterStatus> elsewhere = r == null ? Map.of() : r.statuses();
    List<MeterStatus> result = new ArrayList<>();
    for (MeterSpec spec : registry.all()) {
      MeterSession s = sessions.get(spec.id());
      if (s != null) {
        result.add(s.status());
      } else if (elsewhere.containsKey(spec.id())) {
        result.add(elsewhere.get(spec.id()));
      }
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
    closed = true;
    List<MeterSession> all = new ArrayList<>(sessions.values());
    sessions.clear();
    all.forEach(MeterSession::stopPolling);
    // one deadline for all, then one more for the interrupted ones: sessions waiting in turn must not add up
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    List<MeterSession> late = new ArrayList<>();
    try {
      for (MeterSession s : all) {
        if (!s.awaitIdle(deadline)) {
          late.add(s);
        }
      }
      late.forEach(MeterSession::interrupt);
      long interrupted = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
      for (MeterSession s : late) {
        if (!s.awaitIdle(interrupted)) {
          org.slf4j.LoggerFactory.getLogger(FleetPoller.class)
              .warn("meter {}: its operation did not stop within 5 s", s.spec().id());
        }
      }
    } catch (InterruptedException e) {
      all.forEach(MeterSession::interrupt);
      Thread.currentThread().interrupt();
    }
    all.forEach(MeterSession::closeConnection);
    timer.shutdownNow();
    workers.close();
    try {
      timer.awaitTermination(5, TimeUnit.SECONDS); // a tick in progress only queues a task
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
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
    if (closed) {
      return; // a lease taken while the head-end stops
    }
    MeterSession s = new MeterSession(spec, connector, readings, profiles, settings, clockSettings, audit, metrics,
        associationSlots, dispatch, timer, workers);
    MeterSession old = sessions.put(spec.id(), s);
    if (old != null) {
      old.close();
    }
    s.start(continuous);
  }

  private MeterSession session(String id) {
    MeterSession s = sessions.get(id);
    if (s == null) {
      // released between viaHolder and here: the caller asks again and gets the new holder
      throw new MeterElsewhereException("meter " + id + " just moved to another head-end instance: try again");
    }
    return s;
  }
}
