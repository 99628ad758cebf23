package org.s3mp.headend;

import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.micrometer.core.instrument.Gauge;
import java.net.URI;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.s3mp.headend.api.ApiServer;
import org.s3mp.headend.api.Json;
import org.s3mp.headend.auth.Role;
import org.s3mp.headend.auth.TokenStore;
import org.s3mp.headend.commands.AuditLog;
import org.s3mp.headend.fleet.FleetRegistry;
import org.s3mp.headend.fleet.KeysDirectory;
import org.s3mp.headend.fleet.MeterSpec;
import org.s3mp.headend.fleet.MeterInput;
import org.s3mp.headend.live.LiveFeed;
import org.s3mp.headend.polling.FleetPoller;
import org.s3mp.headend.polling.MeterConnector;
import org.s3mp.headend.storage.Database;
import org.s3mp.headend.storage.ProfileStore;
import org.s3mp.headend.storage.ReadingStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** A running head-end: database, fleet polling, REST API, live stream and dashboard. */
public final class Headend implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(Headend.class);

  private final Database db;
  private final ReadingStore readings;
  private final LiveFeed live;
  private final FleetPoller poller;
  private final ApiServer api;
  private final boolean tls;
  private final String host;
  private MeterConnector connector;
  private org.s3mp.headend.push.PushListener push;
  private io.micrometer.core.instrument.MeterRegistry metrics;
  private org.s3mp.headend.alarms.Alarms alarms;
  private org.s3mp.headend.cluster.Cluster cluster; // null: H2, the only instance
  private org.s3mp.headend.storage.Retention retention; // null: database.retentionDays not set
  private org.s3mp.headend.firmware.Rollouts rollouts;

  private Headend(Database db, ReadingStore readings, LiveFeed live, FleetPoller poller, ApiServer api, boolean tls,
      String host) {
    this.db = db;
    this.readings = readings;
    this.live = live;
    this.poller = poller;
    this.api = api;
    this.tls = tls;
    this.host = host;
  }

  /**
   * Opens the database, registers the configured meters, starts polling them and serves HTTP. The head-end owns
   * the connector from then on (closes it when it is {@link AutoCloseable}).
   */
  public static Headend start(HeadendConfig config, MeterConnector connector) {
    return start(config, connector, (String) null);
  }

  /**
   * As {@link #start(HeadendConfig, MeterConnector)}, as the instance {@code instance} (null: host name and
   * process id). On PostgreSQL the instances sharing the database split the fleet between them by leases
   * ({@link org.s3mp.headend.cluster.Cluster}); on H2 the head-end is the only instance and polls every meter.
   * The master key comes from the environment ({@link org.s3mp.headend.keys.MasterKey#fromEnvironment}).
   */
  public static Headend start(HeadendConfig config, MeterConnector connector, String instance) {
    return start(config, connector, instance, org.s3mp.headend.keys.MasterKey.fromEnvironment(System.getenv()));
  }

  /** As {@link #start(HeadendConfig, MeterConnector)} with this master key (see the next). */
  public static Headend start(HeadendConfig config, MeterConnector connector,
      java.util.Optional<org.s3mp.headend.keys.MasterKey> masterKey) {
    return start(config, connector, null, masterKey);
  }

  /**
   * As {@link #start(HeadendConfig, MeterConnector, String)} with the master key that encrypts rotated meter keys
   * (empty: no rotation; refused when the database holds encrypted keys).
   */
  public static Headend start(HeadendConfig config, MeterConnector connector, String instance,
      java.util.Optional<org.s3mp.headend.keys.MasterKey> masterKey) {
    String name = instance == null ? org.s3mp.headend.cluster.Cluster.defaultInstanceName() : instance;
    if (!name.matches("[A-Za-z0-9._:-]{1,128}")) {
      throw new IllegalArgumentException("instance name: 1-128 letters, digits, '.', '_', ':' or '-' (got "
          + name.replaceAll("[^\\x20-\\x7e]", "?") + ")");
    }
    config.bindHost(); // a bad --http address fails here, before the database is opened
    config.bindPort();
    HeadendConfig.Database dbConfig = config.database();
    Database db = Database.open(dbConfig.url(), dbConfig.user(), dbConfig.password());
    ReadingStore readings = null;
    LiveFeed live = null;
    FleetPoller poller = null;
    org.s3mp.headend.push.PushListener push = null;
    org.s3mp.headend.alarms.Alarms alarms = null;
    org.s3mp.headend.cluster.Cluster cluster = null;
    org.s3mp.headend.storage.Retention retention = null;
    org.s3mp.headend.firmware.Rollouts rollouts = null;
    try {
      FleetRegistry registry = new FleetRegistry(db);
      org.s3mp.headend.keys.MeterKeyStore keyStore = org.s3mp.headend.keys.MeterKeyStore.open(db, masterKey);
      if (masterKey.isEmpty()) {
        log.info("no master key ({} or {}): meter keys are not rotated", org.s3mp.headend.keys.MasterKey.ENV,
            org.s3mp.headend.keys.MasterKey.ENV_FILE);
      }
      org.s3mp.headend.keys.KeyRotation rotation = null;
      if (connector instanceof org.s3mp.headend.polling.DlmsMeterConnector dlms) {
        dlms.keyStore(keyStore);
        rotation = new org.s3mp.headend.keys.KeyRotation(dlms, keyStore, config.retryPolicy());
      }
      KeysDirectory keys = keysDirectory(config);
      List<MeterSpec> configured = new java.util.ArrayList<>();
      for (MeterInput m : config.meters()) {
        MeterSpec spec = m.toSpec();
        try {
          configured.add(keys.checked(spec));
        } catch (IllegalArgumentException e) {
          throw new IllegalArgumentException("meter " + spec.id() + ": " + e.getMessage() + " " + keys.path()
              + " (the log says why)", e);
        }
      }
      registry.putAll(configured);
      PrometheusMeterRegistry metrics = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
      new JvmMemoryMetrics().bindTo(metrics);
      new JvmThreadMetrics().bindTo(metrics);
      readings = new ReadingStore(db,
          dbConfig.queueCapacity() == null ? ReadingStore.DEFAULT_QUEUE_CAPACITY : dbConfig.queueCapacity(), metrics);
      live = new LiveFeed(Json::write);
      readings.onCommitted(live::publish);
      LiveFeed liveFeed = live;
      Gauge.builder("headend.live.subscribers", liveFeed, LiveFeed::subscribers).register(metrics);
      ReadingStore store = readings;
      Gauge.builder("headend.readings.backlog", store, ReadingStore::backlog)
          .description("readings waiting to be committed").register(metrics);
      ProfileStore profiles = new ProfileStore(db);
      AuditLog audit = new AuditLog(db);
      poller = new FleetPoller(connector, readings, profiles, registry, config.pollingSettings(),
          config.clockSettings(), audit, metrics);
      TokenStore tokens = new TokenStore(db, configuredTokens(config),
          java.time.Duration.ofHours(config.tokenLifetimeHours()));
      FleetPoller fleet = poller;
      // each instance judges the meters it polls (all of them when it is the only one)
      alarms = new org.s3mp.headend.alarms.Alarms(db, config.alarmRules(), fleet::heldStatuses,
          () -> registry.all().stream().map(MeterSpec::id).collect(java.util.stream.Collectors.toSet()),
          metrics, java.time.Clock.systemUTC());
      poller.setEvents(alarms.sessionEvents());
      readings.onCommitted(alarms::readingStored);
      alarms.start();
      if (dbConfig.retentionDays() != null) {
        retention = new org.s3mp.headend.storage.Retention(db, dbConfig.retentionDays(), metrics,
            java.time.Clock.systemUTC());
        retention.start();
      }
      // sessions first: once the port is open, every configured meter can be asked for
      if (db.shared()) {
        cluster = new org.s3mp.headend.cluster.Cluster(db, name, poller, registry);
        if (rotation != null) {
          org.s3mp.headend.keys.KeyRotation rotating = rotation;
          // a rotation blocks for two associations: not on the cluster's threads
          cluster.handle(org.s3mp.headend.keys.KeyRotation.OPERATION, (meterId, argument) ->
              java.util.concurrent.CompletableFuture.supplyAsync(() -> rotating.rotateFor(registry.find(meterId)
                  .orElseThrow(() -> new java.util.NoSuchElementException("no meter " + meterId))),
                  r -> new Thread(r, "key-rotation-" + meterId).start()));
        }
        cluster.start();
      } else {
        poller.start();
      }
      // after the sessions: a rollout transfers only to meters this instance holds, through their sessions
      rollouts = new org.s3mp.headend.firmware.Rollouts(db, poller, registry, audit,
          keys.path().resolve("firmware-vendors"), name);
      rollouts.start();
      org.s3mp.headend.storage.PushStore pushes = new org.s3mp.headend.storage.PushStore(db);
      if (config.push() != null) {
        push = new org.s3mp.headend.push.PushListener(registry, readings, pushes, metrics, keyStore);
        push.onEvent(e -> fleet.relayPushed(e.meterId(), e.relayConnected()));
        push.onRefused(alarms::pushRefused);
        try {
          push.start(org.s3mp.dlms.transport.MeterUrl.parse(config.push().listen()), config.push().maxConnections(),
              config.scion().daemon());
        } catch (java.io.IOException e) {
          throw new IllegalStateException("push.listen: " + e.getMessage(), e);
        }
      }
      ApiServer api = ApiServer.start(
          new ApiServer.Services(registry, poller, readings, profiles, audit, tokens, live, metrics, keys,
              pushes, alarms, keyStore, rotation, name, rollouts),
          config.http(), config.bindHost(), config.bindPort());
      Headend headend = new Headend(db, readings, live, poller, api, config.http().tls() != null, config.bindHost());
      headend.connector = connector;
      headend.push = push;
      headend.metrics = metrics;
      headend.alarms = alarms;
      headend.cluster = cluster;
      headend.retention = retention;
      headend.rollouts = rollouts;
      log.info("head-end instance {} on {} ({} meters{}, database {})", name, headend.baseUri(),
          registry.all().size(), cluster == null ? "" : ", " + poller.held().size() + " of them leased here",
          db.description());
      return headend;
    } catch (RuntimeException e) {
      if (rollouts != null) {
        rollouts.close();
      }
      if (retention != null) {
        retention.close();
      }
      if (push != null) {
        push.close();
      }
      if (cluster != null) {
        cluster.stopTaking();
      }
      if (poller != null) {
        poller.close();
      }
      if (alarms != null) {
        alarms.close();
      }
      if (cluster != null) {
        cluster.close();
      }
      if (live != null) {
        live.close();
      }
      if (readings != null) {
        readings.close();
      }
      db.close();
      throw e;
    }
  }

  /** Every reading taken from a meter since start must have been stored: say so, or say how many were not. */
  private void logReadingsTakenAndStored() {
    io.micrometer.core.instrument.Timer reads = metrics.find("headend.read.latency").timer();
    long taken = reads == null ? 0 : reads.count(); // registered with the first meter
    io.micrometer.core.instrument.Counter pushed = metrics.find("headend.push.received").tag("setup", "registers")
        .counter();
    taken += pushed == null ? 0 : (long) pushed.count(); // pushed registers are stored as readings too
    long stored = (long) metrics.get("headend.readings.stored").counter().count();
    if (taken == stored) {
      log.info("head-end stopped: {} readings taken since start, {} stored", taken, stored);
    } else {
      log.error("head-end stopped: {} readings taken since start, {} stored, {} NOT stored (the log above says why)",
          taken, stored, taken - stored);
    }
  }

  /** The configured keys directory, created (owner-only) when missing. */
  private static KeysDirectory keysDirectory(HeadendConfig config) {
    java.nio.file.Path dir = java.nio.file.Path.of(config.keysDirectory());
    if (!java.nio.file.Files.isDirectory(dir)) {
      try {
        java.nio.file.Files.createDirectories(dir);
        dir.toFile().setReadable(false, false);
        dir.toFile().setReadable(true, true);
        dir.toFile().setExecutable(false, false);
        dir.toFile().setExecutable(true, true);
      } catch (java.io.IOException e) {
        throw new IllegalStateException("cannot create the keys directory " + dir + ": " + e.getMessage(), e);
      }
    }
    return new KeysDirectory(dir);
  }

  private static Map<String, TokenStore.Principal> configuredTokens(HeadendConfig config) {
    Map<String, TokenStore.Principal> result = new HashMap<>();
    int n = 0;
    for (HeadendConfig.Token t : config.tokens()) {
      n++;
      if (t.sha256() == null || !t.sha256().matches("[0-9a-fA-F]{64}")) {
        throw new IllegalArgumentException("tokens[" + n + "].sha256: 64 hex digits (sha256sum of the token) required");
      }
      String name = t.name() == null ? "config-token-" + n : t.name();
      result.put(t.sha256().toLowerCase(java.util.Locale.ROOT), new TokenStore.Principal(name, Role.parse(t.role())));
    }
    return result;
  }

  /** Where the push listener listens (with its real port), if it does. */
  public java.util.Optional<org.s3mp.dlms.transport.MeterUrl> pushUrl() {
    return push == null ? java.util.Optional.empty() : java.util.Optional.of(push.localUrl());
  }

  /** The head-end's metrics (what /metrics serves), e.g. for a benchmark in the same process. */
  public io.micrometer.core.instrument.MeterRegistry metrics() {
    return metrics;
  }

  public int port() {
    return api.port();
  }

  /** The HTTP API's routes, each as "METHOD path". */
  public java.util.List<String> routes() {
    return api.registeredRoutes();
  }

  public URI baseUri() {
    String h = host.contains(":") ? "[" + host + "]" : host;
    return URI.create((tls ? "https" : "http") + "://" + h + ":" + port());
  }

  /**
   * Stops HTTP, then polling (reads in progress still queue their reading), lets every queued reading reach the
   * database (the store's drain) and only then closes the database.
   */
  @Override
  public void close() {
    try {
      if (push != null) {
        push.close();
      }
      api.close();
    } finally {
      if (rollouts != null) {
        rollouts.close(); // before the sessions: a transfer in progress is taken back at the next start
      }
      if (cluster != null) {
        cluster.stopTaking();
      }
      poller.close();
      alarms.close();
      if (cluster != null) {
        cluster.close(); // after the sessions stopped: no two instances ever read a meter at once
      }
      if (retention != null) {
        retention.close();
      }
      readings.close();
      logReadingsTakenAndStored();
      live.close();
      db.close();
      if (connector instanceof AutoCloseable c) {
        try {
          c.close();
        } catch (Exception e) {
          log.warn("closing the meter connector: {}", e.toString());
        }
      }
    }
  }
}
