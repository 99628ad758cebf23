package org.s3mp.meter;

import java.io.IOException;
import java.nio.file.Files;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.s3mp.dlms.server.CosemServer;
import org.s3mp.dlms.server.InMemoryRequestPath;
import org.s3mp.dlms.server.FileCounterStore;
import org.s3mp.dlms.server.PushNotifier;
import org.s3mp.dlms.server.PushSettings;
import org.s3mp.dlms.transport.MeterUrl;
import org.s3mp.dlms.transport.ServerEndpoint;
import org.s3mp.dlms.transport.Transports;
import org.s3mp.dlms.transport.scion.InMemoryScionLink;
import org.s3mp.meter.source.MeterSource;
import org.s3mp.meter.store.AgentState;
import org.s3mp.meter.store.EventLog;
import org.s3mp.meter.store.LoadProfileStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A running meter agent: the DLMS/COSEM server on its endpoints, the load profile capture, all state in the
 * data directory. {@link #close()} stops it and saves the state.
 */
public final class MeterAgent implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(MeterAgent.class);

  private final AgentConfig config;
  private final MeterSource source;
  private final AgentBackend backend;
  private final LoadProfileStore profile;
  private final EventLog events;
  private final List<ServerEndpoint> endpoints = new java.util.concurrent.CopyOnWriteArrayList<>();
  private final ScheduledExecutorService scheduler;
  private CosemServer server;
  /** Null when the meter does not push, or while it is dark in a simulated outage. */
  private volatile PushNotifier pushNotifier;
  private volatile org.s3mp.dlms.security.KeysFile pushKeys;
  /** Pushes sent and failed by the notifiers before the current one (an outage replaces it). */
  private final java.util.concurrent.atomic.AtomicLong earlierSent = new java.util.concurrent.atomic.AtomicLong();
  private final java.util.concurrent.atomic.AtomicLong earlierFailed = new java.util.concurrent.atomic.AtomicLong();
  private DataDirectoryLock lock;

  private MeterAgent(AgentConfig config, MeterSource source, AgentBackend backend, LoadProfileStore profile,
      EventLog events) {
    this.config = config;
    this.source = source;
    this.backend = backend;
    this.profile = profile;
    this.events = events;
    // one task at a time as on a single thread, but on the process's shared threads (--count 10,000 meters)
    this.scheduler = org.s3mp.dlms.server.SerialScheduler.create();
  }

  /** Starts an agent; fails with a clear message when the data directory, source or a port is unusable. */
  public static MeterAgent start(AgentConfig config) throws IOException {
    warmUp(config.listen());
    return startWarm(config);
  }

  /**
   * Starts many agents in this process (load tests, labs), each with its own data directory, keys, state and
   * endpoints; the request path is warmed up once for all. If one cannot start, those already started are
   * stopped again.
   */
  public static List<MeterAgent> startAll(List<AgentConfig> configs) throws IOException {
    warmUp(configs.stream().flatMap(c -> c.listen().stream()).distinct().toList());
    List<MeterAgent> agents = new ArrayList<>();
    try {
      for (AgentConfig config : configs) {
        agents.add(startWarm(config));
      }
    } catch (IOException | RuntimeException e) {
      agents.forEach(MeterAgent::close);
      throw e;
    }
    return agents;
  }

  private static MeterAgent startWarm(AgentConfig config) throws IOException {
    Files.createDirectories(config.dataDir());
    // two agents on one directory would encrypt with the same keys and invocation counters (nonce reuse)
    DataDirectoryLock lock = DataDirectoryLock.acquire(config.dataDir());
    try {
      MeterAgent agent = start(config, lock);
      agent.lock = lock;
      return agent;
    } catch (IOException | RuntimeException e) {
      lock.close();
      throw e;
    }
  }

  private static MeterAgent start(AgentConfig config, DataDirectoryLock lock) throws IOException {
    AgentState state = new AgentState(config.dataDir().resolve("state.properties"));
    if (config.clockOffset() != null) {
      // a lab setting: the meter's clock starts this far from the host's, e.g. to see the head-end correct it
      state.clockOffsetMillis(config.clockOffset().toMillis());
      log.info("meter clock offset {} s from the host clock", config.clockOffset().toMillis() / 1000.0);
    }
    AgentConfig.MeterClock clock = () -> Instant.now().plusMillis(state.clockOffsetMillis());
    MeterSource source = config.source().create(clock, state.simulatedEnergyWh());
    LoadProfileStore profile =
        new LoadProfileStore(config.dataDir().resolve("load-profile.bin"), config.capturePeriodSeconds());
    EventLog events = new EventLog(config.dataDir().resolve("events.bin"));
    AgentBackend backend = new AgentBackend(state, source, config.relay(), config.display(), profile, events,
        config.serialNumber(), config.capturePeriodSeconds());
    backend.firmware(new FirmwareStore(config.dataDir().resolve("firmware"), config.firmwareKey(),
        AgentBackend.builtInFirmwareId(), e -> {
          try {
            events.add(clock.get(), e);
          } catch (IOException ex) {
            log.error("cannot store event {}: {}", e, ex.getMessage());
          }
        }));
    MeterAgent agent = new MeterAgent(config, source, backend, profile, events);
    try {
      backend.start();
      CosemServer server = agent.server = new CosemServer(backend, config.keys(),
          new FileCounterStore(config.dataDir().resolve("counters.properties")));
      for (MeterUrl url : config.listen()) {
        ServerEndpoint ep = Transports.forUrl(url).listen(url, server, config.transportOptions());
        agent.endpoints.add(ep);
        log.info("meter {} serving DLMS on {} ({})", config.serialNumber(), ep.localUrl(), source.describe());
      }
      agent.startPushing(state);
      backend.onClockSet(agent::rescheduleCapture);
      agent.scheduleCapture();
      // a scheduled firmware activation is due by the meter's clock, which a client may set: checked every second
      agent.scheduler.scheduleWithFixedDelay(() -> {
        try {
          backend.activateFirmwareIfDue();
        } catch (RuntimeException e) {
          log.warn("scheduled firmware activation: {}", e.getMessage());
        }
      }, 1, 1, TimeUnit.SECONDS);
      // the simulated energy register is also saved between captures, so a crash loses at most a minute
      agent.scheduler.scheduleWithFixedDelay(() -> {
        try {
          backend.persistEnergy();
        } catch (RuntimeException e) {
          log.warn("cannot save state: {}", e.getMessage());
        }
      }, 60, 60, TimeUnit.SECONDS);
    } catch (IOException | RuntimeException e) {
      agent.close();
      throw e;
    }
    return agent;
  }

  /**
   * Pushes with the meter's static keys as its push settings say (the command line's replace the stored ones).
   * DRKey keys are per head-end and association, so a DRKey meter has no keys to push with.
   */
  private void startPushing(AgentState state) {
    AgentConfig.Push options = config.push();
    if (options != null && (options.destination() != null || options.periodSeconds() != null)) {
      state.pushSettings(options.applyTo(state.pushSettings()));
    }
    java.util.Optional<org.s3mp.dlms.security.KeysFile> keys = config.keys().fixedKeys();
    if (keys.isPresent()) {
      pushKeys = keys.get();
      startNotifier();
    } else if (!state.pushSettings().equals(PushSettings.NONE)) {
      log.warn("push settings ignored: a meter with keys from DRKey does not push");
    }
    if (options != null && options.outageAfter() != null) {
      scheduler.schedule(() -> simulateOutage(options.outageDuration()), options.outageAfter().toMillis(),
          TimeUnit.MILLISECONDS);
    }
  }

  private void startNotifier() {
    // the keys of each push: after a key rotation the new ones
    PushNotifier n = new PushNotifier(server, backend, () -> config.keys().fixedKeys().orElse(pushKeys),
        config.transportOptions());
    backend.onPush(n::event, n::settingsChanged);
    pushNotifier = n;
    n.start();
  }

  /** Stops pushing (the meter goes dark); returns once the queued pushes were sent or failed. */
  private void stopNotifier() {
    PushNotifier n = pushNotifier;
    if (n == null) {
      return;
    }
    backend.onPush(e -> {}, () -> {});
    pushNotifier = null;
    if (!n.flush(LAST_GASP_WAIT)) {
      log.warn("last gasp not sent within {} s", LAST_GASP_WAIT.toSeconds());
    }
    n.close();
    earlierSent.addAndGet(n.sent());
    earlierFailed.addAndGet(n.failed());
  }

  /** How long the last gasp may take to leave before the meter goes dark. */
  static final java.time.Duration LAST_GASP_WAIT = java.time.Duration.ofSeconds(2);

  /**
   * A simulated power failure: the last gasp (POWER_FAILURE, pushed at once), then the meter goes dark (no DLMS
   * endpoint, no pushes, nothing measured) for {@code duration}, then comes back on the same addresses and pushes
   * POWER_RESTORED.
   */
  private void simulateOutage(java.time.Duration duration) {
    log.info("simulated power failure for {} s", duration.toSeconds());
    backend.powerFailure();
    stopNotifier();
    List<MeterUrl> bound = endpoints();
    endpoints.forEach(ServerEndpoint::close);
    endpoints.clear();
    scheduler.schedule(() -> {
      for (MeterUrl url : bound) {
        try {
          endpoints.add(Transports.forUrl(url).listen(url, server, config.transportOptions()));
        } catch (IOException | RuntimeException e) {
          log.error("after the simulated outage: cannot serve on {} again: {}", url, e.getMessage());
        }
      }
      if (pushKeys != null) {
        startNotifier();
      }
      backend.powerRestored();
      log.info("simulated power restored");
    }, duration.toMillis(), TimeUnit.MILLISECONDS);
  }

  /** Pushes sent and failed so far (0 when the meter does not push). */
  public long pushesSent() {
    PushNotifier n = pushNotifier;
    return earlierSent.get() + (n == null ? 0 : n.sent());
  }

  public long pushesFailed() {
    PushNotifier n = pushNotifier;
    return earlierFailed.get() + (n == null ? 0 : n.failed());
  }

  /** Readings of the start-up warm-up, per framing. */
  static final int WARM_UP_READINGS = 200;

  /**
   * Runs the request path in-process before the first real request ({@link InMemoryRequestPath}: its own keys,
   * counters and a fixed backend, nothing real is read or stored), so that its classes are loaded and the JIT
   * has compiled it: at a few readings per second the first minutes of readings were otherwise interpreted.
   */
  static void warmUp(List<MeterUrl> listen) {
    long t0 = System.nanoTime();
    List<InMemoryRequestPath.Framing> framings = listen.stream().anyMatch(u -> u.scheme().equals("scion"))
        ? List.of(InMemoryRequestPath.TCP, InMemoryScionLink::new)
        : List.of(InMemoryRequestPath.TCP);
    for (InMemoryRequestPath.Framing f : framings) {
      try (InMemoryRequestPath path = InMemoryRequestPath.open(f)) {
        for (int i = 0; i < WARM_UP_READINGS; i++) {
          path.read();
        }
      } catch (IOException | RuntimeException e) {
        // only an optimisation: the meter serves anyway
        log.warn("request path warm-up failed: {}", e.toString());
        return;
      }
    }
    log.debug("request path warmed up in {} ms", (System.nanoTime() - t0) / 1_000_000);
  }

  /** The DLMS server, for feeding PDUs in-process (fuzz tests). */
  org.s3mp.dlms.transport.PduHandler pduHandler() {
    return server;
  }

  /** The addresses actually bound (with real ports). */
  public List<MeterUrl> endpoints() {
    return endpoints.stream().map(ServerEndpoint::localUrl).toList();
  }

  /** Datagrams dropped on arrival from untrusted sources, over all endpoints (network-level access control). */
  public long droppedUntrusted() {
    return endpoints.stream().mapToLong(ServerEndpoint::droppedUntrusted).sum();
  }

  /** Datagrams that arrived over SCION EPIC-HP (routers validated their source per packet), over all endpoints. */
  public long receivedOverEpic() {
    return endpoints.stream().mapToLong(ServerEndpoint::receivedOverEpic).sum();
  }

  /** The next capture's task; only touched by the serial scheduler's tasks (and at start, before it runs). */
  private ScheduledFuture<?> captureTask;

  private void scheduleCapture() {
    long period = config.capturePeriodSeconds() * 1000L;
    scheduleCapture((Math.floorDiv(backend.now().toEpochMilli(), period) + 1) * period);
  }

  /**
   * Plans the capture at {@code next} (ms on the meter's clock), then the one a period later: a capture that ran
   * late (a loaded host) does not lose the next capture time. More than a period behind (the host was suspended),
   * it continues from the clock.
   */
  private void scheduleCapture(long next) {
    long period = config.capturePeriodSeconds() * 1000L;
    long now = backend.now().toEpochMilli();
    if (next <= now - period) {
      scheduleCapture();
      return;
    }
    backend.expectCapture(Instant.ofEpochMilli(next));
    captureTask = scheduler.schedule(() -> {
      try {
        backend.capture(Instant.ofEpochMilli(next));
      } catch (RuntimeException e) {
        log.error("load profile capture failed", e);
      } finally {
        if (!scheduler.isShutdown()) {
          scheduleCapture(next + period);
        }
      }
    }, Math.max(0, next - now), TimeUnit.MILLISECONDS);
  }

  /** After a clock set: the pending capture was planned on the old clock. */
  private void rescheduleCapture() {
    try {
      scheduler.execute(() -> {
        if (captureTask != null) {
          captureTask.cancel(false);
        }
        scheduleCapture();
      });
    } catch (java.util.concurrent.RejectedExecutionException e) {
      // stopping
    }
  }

  @Override
  public void close() {
    scheduler.shutdownNow();
    PushNotifier n = pushNotifier;
    if (n != null) {
      n.close();
    }
    endpoints.forEach(ServerEndpoint::close);
    long dropped = droppedUntrusted();
    if (dropped > 0) {
      // the running log reports drops at most every 10 s; this is the final count
      log.info("stopped; dropped {} datagram(s) from untrusted sources in total", dropped);
    }
    try {
      backend.persistEnergy();
    } catch (RuntimeException e) {
      log.warn("cannot save state: {}", e.getMessage());
    }
    source.close();
    try {
      profile.close();
      events.close();
    } catch (IOException e) {
      log.warn("closing stores: {}", e.getMessage());
    }
    config.relay().close();
    config.display().close();
    if (lock != null) {
      lock.close();
    }
  }
}
