package org.s3mp.headend.push;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.EnumMap;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.s3mp.dlms.MeterObjects;
import org.s3mp.dlms.push.Notification;
import org.s3mp.dlms.push.PushReceiver;
import org.s3mp.dlms.push.PushReceiver.Refusal;
import org.s3mp.dlms.security.KeysFile;
import org.s3mp.dlms.transport.LinkOptions;
import org.s3mp.dlms.transport.MeterUrl;
import org.s3mp.dlms.transport.ServerEndpoint;
import org.s3mp.dlms.transport.tcp.TcpTransport;
import org.s3mp.headend.fleet.FleetRegistry;
import org.s3mp.headend.fleet.KeysDirectory;
import org.s3mp.headend.fleet.MeterSpec;
import org.s3mp.headend.fleet.Reading;
import org.s3mp.headend.fleet.RegisterValue;
import org.s3mp.headend.storage.PushStore;
import org.s3mp.headend.storage.ReadingStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The head-end's push listener: Data-Notifications from the meters of the fleet (found by the system title of
 * their keys files; meters with keys from DRKey do not push). Pushed registers are stored as readings with
 * source {@code push}, pushed events in the push event table. Accepted and refused notifications are counted
 * ({@code headend.push.received{setup}}, {@code headend.push.refused{reason}}); refusals are logged at most
 * every 10 s.
 */
public final class PushListener implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(PushListener.class);
  /** A TCP connection per meter: far more than the 32 a meter's own listener allows. */
  public static final int DEFAULT_MAX_CONNECTIONS = 4096;
  private static final long REFUSAL_LOG_INTERVAL_NANOS = 10_000_000_000L;
  /** An unknown system title or a changed keys file rebuilds the index of the fleet's keys at most this often. */
  private static final long REINDEX_INTERVAL_NANOS = 1_000_000_000L;

  private final FleetRegistry registry;
  private final ReadingStore readings;
  private final PushStore store;
  private final PushReceiver receiver;
  private final Counter registersReceived;
  private final Counter eventsReceived;
  private final io.micrometer.core.instrument.Timer delay;
  private final Map<Refusal, Counter> refused = new EnumMap<>(Refusal.class);
  /** A meter's keys as loaded, with the file and its modification time they came from. */
  private record Known(PushReceiver.Sender sender, String keysFile, java.nio.file.attribute.FileTime modified,
      long keysGeneration) {}

  private volatile Map<String, Known> byTitle = Map.of();
  /** One index build at a time: one built from the keys before a change never replaces one built after it. */
  private final Object indexLock = new Object();
  private final org.s3mp.headend.keys.MeterKeyStore keyStore;
  private long lastIndex = System.nanoTime() - REINDEX_INTERVAL_NANOS;
  private long lastRefusalLog = System.nanoTime() - REFUSAL_LOG_INTERVAL_NANOS;
  private ServerEndpoint endpoint;
  private volatile java.util.function.Consumer<PushStore.PushedEvent> onEvent = e -> {};
  private volatile RefusalListener onRefused = (reason, from, detail) -> {};

  /** Hears of refused notifications (the alarms); called on the listener's threads, must be quick. */
  public interface RefusalListener {
    void refused(String reason, String from, String detail);
  }

  public PushListener(FleetRegistry registry, ReadingStore readings, PushStore store, MeterRegistry metrics) {
    this(registry, readings, store, metrics, null);
  }

  /** Meters whose keys were rotated push with the keys in {@code keyStore} (null: keys files only). */
  public PushListener(FleetRegistry registry, ReadingStore readings, PushStore store, MeterRegistry metrics,
      org.s3mp.headend.keys.MeterKeyStore keyStore) {
    this.keyStore = keyStore;
    if (keyStore != null) {
      // a rotation's new keys are known before the rotation returns: the meter pushes with them at once
      keyStore.onChange(meterId -> {
        store.keysChanged(meterId); // new keys restart the meter's invocation counter
        keysChanged();
      });
    }
    this.registry = registry;
    this.readings = readings;
    this.store = store;
    readings.writeAlso(store); // the counter of a pushed reading is durable with the reading
    this.receiver = new PushReceiver(this::sender, store, new Listener());
    this.registersReceived = Counter.builder("headend.push.received").tag("setup", "registers")
        .description("push notifications accepted").register(metrics);
    this.delay = io.micrometer.core.instrument.Timer.builder("headend.push.delay")
        .description("from the meter's clock in a registers push to its reading queued for storage (same-host"
            + " meters: the network and the listener; 0 when the meter's clock is ahead)")
        .publishPercentiles(0.5, 0.99).publishPercentileHistogram(false).register(metrics);
    this.eventsReceived = Counter.builder("headend.push.received").tag("setup", "events")
        .description("push notifications accepted").register(metrics);
    for (Refusal r : Refusal.values()) {
      refused.put(r, Counter.builder("headend.push.refused").tag("reason", r.name().toLowerCase(Locale.ROOT))
          .description("push notifications refused").register(metrics));
    }
  }

  /**
   * Starts listening, e.g. on tcp://127.0.0.1:4069 or scion://1-ff00:0:112,[127.0.112.1]:4069 (port 0: any free
   * port); {@code scionDaemon} is the head-end AS's daemon for a scion:// URL (null: the default).
   */
  public void start(MeterUrl url, int maxConnections, String scionDaemon) throws IOException {
    String limit = Integer.toString(maxConnections);
    LinkOptions options = LinkOptions.of(Duration.ofSeconds(5))
        .with(LinkOptions.SCION_DAEMON, scionDaemon)
        .with(TcpTransport.MAX_CONNECTIONS, limit)
        // meters behind one NAT or SIG share an address
        .with(TcpTransport.MAX_CONNECTIONS_PER_ADDRESS, limit);
    endpoint = receiver.listen(url, options);
    log.info("push listener on {}", endpoint.localUrl());
  }

  /** Hears of every stored pushed event (the fleet takes the relay state from it). */
  public void onEvent(java.util.function.Consumer<PushStore.PushedEvent> listener) {
    this.onEvent = listener;
  }

  /** Hears of every refused notification. */
  public void onRefused(RefusalListener listener) {
    this.onRefused = listener;
  }

  /** The address it listens on (with the real port). */
  public MeterUrl localUrl() {
    return endpoint.localUrl();
  }

  /** The DLMS side, for feeding frames in-process (tests). */
  PushReceiver receiver() {
    return receiver;
  }

  @Override
  public void close() {
    if (endpoint != null) {
      endpoint.close();
    }
  }

  private Optional<PushReceiver.Sender> sender(byte[] systemTitle) {
    String title = HexFormat.of().formatHex(systemTitle);
    Known k = byTitle.get(title);
    if (k == null || !current(k)) {
      // pushes that arrive while the index is built wait for it (at a fleet's start, all of them at once were
      // refused as unknown while the first one built the index)
      synchronized (indexLock) {
        k = byTitle.get(title);
        if ((k == null || !current(k)) && reindexDue()) {
          byTitle = index();
          k = byTitle.get(title);
        }
      }
    }
    // a meter removed (or given other keys) since the index was built is unknown now
    if (k == null || !current(k)) {
      return Optional.empty();
    }
    return Optional.of(k.sender());
  }

  /** Rebuilds the index now, outside the rate limit (a meter's keys changed in the key store). */
  private void keysChanged() {
    synchronized (this) {
      lastIndex = System.nanoTime();
    }
    synchronized (indexLock) { // after an index begun before the change, so that this one is the last
      byTitle = index();
    }
  }

  /** Whether the meter is still in the fleet with the same keys file, unchanged (keys may be rotated). */
  private boolean current(Known k) {
    Optional<MeterSpec> spec = registry.find(k.sender().meterId());
    return spec.isPresent() && k.keysFile().equals(spec.get().keysFile()) && k.modified().equals(modified(k.keysFile()))
        && k.keysGeneration() == keysGeneration();
  }

  private static java.nio.file.attribute.FileTime modified(String file) {
    try {
      return java.nio.file.Files.getLastModifiedTime(Path.of(file));
    } catch (IOException e) {
      return java.nio.file.attribute.FileTime.fromMillis(0);
    }
  }

  private long keysGeneration() {
    return keyStore == null ? 0 : keyStore.generation();
  }

  private synchronized boolean reindexDue() {
    long now = System.nanoTime();
    if (now - lastIndex < REINDEX_INTERVAL_NANOS) {
      return false;
    }
    lastIndex = now;
    return true;
  }

  /** The fleet's static-key meters by the server system title of their keys (hex). */
  private Map<String, Known> index() {
    Map<String, Known> result = new ConcurrentHashMap<>();
    long generation = keysGeneration();
    for (MeterSpec spec : registry.all()) {
      if (spec.keysFile() == null) {
        continue;
      }
      try {
        java.nio.file.attribute.FileTime modified = modified(spec.keysFile());
        KeysFile rotated = keyStore == null ? null
            : keyStore.find(spec.id()).map(org.s3mp.headend.keys.MeterKeyStore.Stored::current).orElse(null);
        KeysFile keys = rotated != null ? rotated : KeysDirectory.load(Path.of(spec.keysFile()));
        result.put(HexFormat.of().formatHex(keys.serverSystemTitle()),
            new Known(new PushReceiver.Sender(spec.id(), keys), spec.keysFile(), modified, generation));
      } catch (IOException | RuntimeException e) {
        log.warn("meter {}: keys file not usable for pushes: {}", spec.id(), e.getMessage());
      }
    }
    return result;
  }

  private final class Listener implements PushReceiver.Listener {
    @Override
    public void accepted(PushReceiver.Sender sender, Notification n) {
      Instant now = Instant.now();
      if (n.pushSetup().equals(MeterObjects.PUSH_REGISTERS)) {
        registersReceived.increment();
        readings.append(new Reading(sender.meterId(), now, Reading.PUSH, null, 0, null,
            n.values().stream().map(r -> new RegisterValue(r.obis().toString(), r.value(), r.unit())).toList(),
            Reading.PUSH));
        if (n.meterTime() != null) {
          delay.record(Duration.between(n.meterTime(), Instant.now()).isNegative() ? Duration.ZERO
              : Duration.between(n.meterTime(), Instant.now()));
        }
      } else {
        eventsReceived.increment();
        log.info("meter {} pushed event {} (relay {}, meter time {})", sender.meterId(), n.event(),
            Boolean.TRUE.equals(n.relayConnected()) ? "connected" : "disconnected", n.meterTime());
        PushStore.PushedEvent event = new PushStore.PushedEvent(sender.meterId(), now, n.meterTime(),
            n.event().name(), n.relayConnected(), n.invocationCounter());
        store.addEvent(event);
        onEvent.accept(event);
      }
    }

    @Override
    public void refused(Refusal reason, String from, String detail) {
      refused.get(reason).increment();
      onRefused.refused(reason.name().toLowerCase(Locale.ROOT), from, detail);
      synchronized (PushListener.this) {
        long now = System.nanoTime();
        if (now - lastRefusalLog >= REFUSAL_LOG_INTERVAL_NANOS) {
          lastRefusalLog = now;
          log.warn("push from {} refused ({}): {} (counted in headend.push.refused)", from,
              reason.name().toLowerCase(Locale.ROOT), detail);
        }
      }
    }
  }
}
