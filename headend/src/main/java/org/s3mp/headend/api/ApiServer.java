package org.s3mp.headend.api;

import com.fasterxml.jackson.core.JsonProcessingException;
import io.javalin.Javalin;
import io.javalin.http.Context;
import io.javalin.http.HttpResponseException;
import io.javalin.http.HttpStatus;
import io.javalin.http.staticfiles.Location;
import io.javalin.json.JavalinJackson;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import io.javalin.http.sse.SseClient;
import org.s3mp.dlms.transport.Geofence;
import org.s3mp.dlms.transport.LinkOptions;
import org.s3mp.dlms.transport.MeterUrl;
import org.s3mp.dlms.transport.Transports;
import org.s3mp.headend.fleet.KeysDirectory;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.SslConnectionFactory;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.ssl.SslContextFactory;
import org.s3mp.headend.HeadendConfig;
import org.s3mp.headend.auth.Role;
import org.s3mp.headend.auth.TokenStore;
import org.s3mp.headend.commands.AuditLog;
import org.s3mp.headend.fleet.FleetRegistry;
import org.s3mp.headend.fleet.MeterInput;
import org.s3mp.headend.fleet.MeterSpec;
import org.s3mp.headend.live.LiveFeed;
import org.s3mp.headend.polling.FleetPoller;
import org.s3mp.headend.polling.MeterStatus;
import org.s3mp.headend.polling.MeterUnavailableException;
import org.s3mp.headend.storage.ProfileStore;
import org.s3mp.headend.storage.ReadingStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP side of the head-end: the REST API (documented in openapi.json), the live stream, /metrics, /health
 * and the dashboard's static files. Every API route names the role it needs; a before-handler enforces it.
 */
public final class ApiServer implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(ApiServer.class);

  /** Everything the API works on. */
  public record Services(
      FleetRegistry registry, FleetPoller poller, ReadingStore readings, ProfileStore profiles, AuditLog audit,
      TokenStore tokens, LiveFeed live, PrometheusMeterRegistry metrics, KeysDirectory keys,
      org.s3mp.headend.storage.PushStore pushes, org.s3mp.headend.alarms.Alarms alarms,
      org.s3mp.headend.keys.MeterKeyStore keyStore, org.s3mp.headend.keys.KeyRotation rotation, String instance,
      org.s3mp.headend.firmware.Rollouts rollouts) {}

  private final Services s;
  private final Javalin app;
  private final Access access;
  private final MeterOperations operations;
  private final Set<SseClient> liveClients = ConcurrentHashMap.newKeySet();
  private final ScheduledExecutorService heartbeat;
  /** Every HTTP route as "METHOD path", in registration order (tests hold openapi.json against it). */
  private final List<String> registered = new java.util.concurrent.CopyOnWriteArrayList<>();

  private ApiServer(Services services, HeadendConfig.Http http, String host, int port) {
    this.s = services;
    this.access = new Access(services.instance(), services.tokens(),
        new RefusalAudit(services.audit(), Duration.ofSeconds(10)),
        http.maxLiveStreamsPerToken() == null ? 8 : http.maxLiveStreamsPerToken());
    this.operations = new MeterOperations(services);
    this.heartbeat = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "live-heartbeat");
      t.setDaemon(true);
      return t;
    });
    long every = http.liveHeartbeatSeconds() == null ? 15 : http.liveHeartbeatSeconds();
    heartbeat.scheduleWithFixedDelay(this::sendHeartbeats, every, every, TimeUnit.SECONDS);
    this.app = Javalin.create(config -> {
      config.showJavalinBanner = false;
      config.startupWatcherEnabled = false;
      config.events(events -> events.handlerAdded(h -> {
        if (h.getHttpMethod().isHttpMethod()) {
          registered.add(h.getHttpMethod() + " " + h.getPath());
        }
      }));
      config.jsonMapper(new JavalinJackson(Json.MAPPER, false));
      // a firmware image upload is the largest body (base64 of up to 4 MiB); Javalin's default is 1 MB
      config.http.maxRequestSize = org.s3mp.headend.firmware.FirmwareRoutes.MAX_BODY_BYTES;
      config.staticFiles.add(sf -> {
        sf.hostedPath = "/";
        sf.directory = "/org/s3mp/headend/ui";
        sf.location = Location.CLASSPATH;
      });
      if (http.tls() != null) {
        config.jetty.addConnector((server, httpConfig) -> {
          SslContextFactory.Server ssl = new SslContextFactory.Server();
          ssl.setKeyStorePath(http.tls().keystore());
          ssl.setKeyStorePassword(http.tls().password());
          ssl.setKeyStoreType("PKCS12");
          ServerConnector connector = new ServerConnector(server,
              new SslConnectionFactory(ssl, "http/1.1"), new HttpConnectionFactory(httpConfig));
          connector.setHost(host);
          connector.setPort(port);
          return connector;
        });
      }
    });
    routes();
    errors();
  }

  /** Starts serving on HOST:PORT of the config (port 0: any free port). */
  public static ApiServer start(Services services, HeadendConfig.Http http, String host, int port) {
    ApiServer server = new ApiServer(services, http, host, port);
    try {
      if (http.tls() != null) {
        server.app.start();
      } else {
        server.app.start(host, port);
      }
    } catch (RuntimeException e) {
      server.heartbeat.shutdownNow();
      Throwable root = e;
      while (root.getCause() != null && root.getCause() != root) {
        root = root.getCause();
      }
      // Javalin says "Port already in use" for every bind failure, also for an address this host does not have
      throw new IllegalStateException("cannot serve HTTP on " + host + ":" + port + ": "
          + (root instanceof java.net.BindException ? root.getMessage() : e.getMessage()), e);
    }
    return server;
  }

  public int port() {
    return app.port();
  }

  /** The routes served, each as "METHOD path" (e.g. {@code GET /api/meters/{id}}). */
  public List<String> registeredRoutes() {
    return List.copyOf(registered);
  }

  @Override
  public void close() {
    heartbeat.shutdownNow();
    app.stop();
  }

  /**
   * An event on every live stream: writing to a client that went away fails, and its stream is closed (without
   * it, streams of vanished clients stayed open in CLOSE-WAIT for good).
   */
  private void sendHeartbeats() {
    for (SseClient client : liveClients) {
      try {
        client.sendEvent("heartbeat", "{}");
      } catch (RuntimeException e) {
        log.debug("live client gone: {}", e.toString());
      }
      if (client.terminated()) {
        liveClients.remove(client);
        client.close();
      }
    }
  }

  private void routes() {
    app.before(access::screen);
    app.beforeMatched(access::authorize);
    app.beforeMatched("/api/meters/{id}/live", access::reserveLiveStream);

    app.get("/health", ctx -> ctx.json(Map.of("status", "ok", "meters", s.registry().all().size(),
        "instance", s.instance())));
    app.get("/metrics", ctx -> ctx.contentType("text/plain; version=0.0.4; charset=utf-8").result(s.metrics().scrape()),
        Role.VIEWER);
    app.get("/api/openapi.json", ctx -> ctx.contentType("application/json").result(openApi()), Role.VIEWER);
    app.get("/api/me", ctx -> {
      TokenStore.Principal p = ctx.attribute(Access.PRINCIPAL);
      ctx.json(Map.of("name", p.name(), "role", p.role().label(), "instance", s.instance()));
    }, Role.VIEWER);

    app.get("/api/meters", ctx -> ctx.json(s.poller().statuses().stream().map(ApiServer::meterJson).toList()), Role.VIEWER);
    app.get("/api/fleet", ctx -> ctx.json(FleetPage.of(s.poller().statuses(), FleetPage.Query.parse(ctx::queryParam),
        Instant.now())), Role.VIEWER);
    app.post("/api/meters", this::createMeter, Role.OPERATOR);
    app.get("/api/meters/{id}", ctx -> ctx.json(meterJson(status(ctx))), Role.VIEWER);
    app.delete("/api/meters/{id}", this::deleteMeter, Role.OPERATOR);
    app.post("/api/meters/{id}/read", ctx -> ctx.json(Requests.await(s.poller().readOnce(meterId(ctx)))), Role.VIEWER);
    app.post("/api/meters/{id}/continuous", this::continuous, Role.VIEWER);
    app.get("/api/meters/{id}/readings", ctx -> {
      String id = Requests.meterIdOrHistory(ctx);
      Requests.Range r = Requests.range(ctx, Duration.ofHours(1));
      ctx.json(s.readings().between(id, r.from(), r.to(), Requests.limit(ctx, 3600)));
    }, Role.VIEWER);
    app.get("/api/meters/{id}/profile", ctx -> {
      String id = Requests.meterIdOrHistory(ctx);
      Requests.Range r = Requests.range(ctx, Duration.ofDays(1));
      ctx.json(s.profiles().between(id, r.from(), r.to(), Requests.limit(ctx, 10_000)));
    }, Role.VIEWER);
    app.post("/api/meters/{id}/disconnect", ctx -> operations.command(ctx, "disconnect", null), Role.OPERATOR);
    app.post("/api/meters/{id}/reconnect", ctx -> operations.command(ctx, "reconnect", null), Role.OPERATOR);
    app.get("/api/meters/{id}/clock", ctx -> ctx.json(MeterOperations.clockJson(Requests.await(s.poller().readClock(meterId(ctx))))),
        Role.VIEWER);
    app.post("/api/meters/{id}/clock", operations::setClock, Role.OPERATOR);
    app.get("/api/meters/{id}/keys", ctx -> ctx.json(operations.keysJson(meterId(ctx))), Role.VIEWER);
    app.post("/api/meters/{id}/keys/rotate", operations::rotateKeys, Role.OPERATOR);
    app.post("/api/meters/{id}/message", operations::message, Role.OPERATOR);
    app.sse("/api/meters/{id}/live", client -> {
      Runnable release = client.ctx().attribute(Access.LIVE_SLOT);
      String id;
      try {
        id = meterId(client.ctx());
      } catch (RuntimeException e) {
        if (release != null) {
          release.run();
        }
        throw e;
      }
      client.keepAlive();
      Runnable unsubscribe = s.live().subscribe(id, (event, data) -> {
        if (client.terminated()) {
          throw new IOException("client gone");
        }
        client.sendEvent(event, data);
      });
      liveClients.add(client);
      client.onClose(() -> {
        liveClients.remove(client);
        unsubscribe.run();
        if (release != null) {
          release.run();
        }
      });
      // an event (comments are not flushed) tells the client that it is subscribed
      client.sendEvent("subscribed", Json.write(Map.of("meterId", id)));
    }, Role.VIEWER);
    app.get("/api/audit", ctx -> ctx.json(s.audit().newest(Requests.limit(ctx, 100))), Role.VIEWER);
    app.get("/api/obis", ctx -> ctx.json(OBIS), Role.VIEWER);
    app.get("/api/meters/{id}/paths", this::pathHistory, Role.VIEWER);
    app.get("/api/meters/{id}/push", ctx -> ctx.json(MeterOperations.pushJson(meterId(ctx),
        Requests.await(s.poller().pushSettings(meterId(ctx))), null)), Role.VIEWER);
    app.post("/api/meters/{id}/push", operations::setPush, Role.OPERATOR);
    app.get("/api/meters/{id}/events", ctx -> {
      String id = Requests.meterIdOrHistory(ctx);
      Requests.Range r = Requests.range(ctx, Duration.ofDays(1));
      ctx.json(s.pushes().events(id, r.from(), r.to(), Requests.limit(ctx, 1000)));
    }, Role.VIEWER);
    app.get("/api/alarms", ctx -> ctx.json(s.alarms().list(ctx.queryParam("state"), Requests.limit(ctx, 100))), Role.VIEWER);
    app.post("/api/alarms/{id}/ack", this::acknowledgeAlarm, Role.OPERATOR);
    app.get("/api/topology", ctx -> ctx.json(Topology.of(s.readings().paths().all().values())), Role.VIEWER);
    if (s.rollouts() != null) {
      org.s3mp.headend.firmware.FirmwareRoutes.register(app, s.rollouts(), Requests::actor);
    }
  }

  private void errors() {
    app.exception(HttpResponseException.class, (e, ctx) -> error(ctx, e.getStatus(), e.getMessage()));
    app.exception(IllegalArgumentException.class, (e, ctx) -> error(ctx, 400, e.getMessage()));
    app.exception(NoSuchElementException.class, (e, ctx) -> error(ctx, 404, e.getMessage()));
    app.exception(MeterUnavailableException.class, (e, ctx) -> error(ctx, 502, e.getMessage()));
    // the meter's holder did not take the operation in time: it was not run, asking again is safe
    app.exception(org.s3mp.headend.polling.MeterElsewhereException.class, (e, ctx) -> error(ctx, 503, e.getMessage()));
    app.exception(TimeoutException.class, (e, ctx) -> error(ctx, 504,
        e.getMessage() == null ? "the meter did not answer in time" : e.getMessage()));
    app.exception(Exception.class, (e, ctx) -> {
      log.error("{} {}: {}", ctx.method(), ctx.path(), e.toString(), e);
      error(ctx, 500, "internal error: " + e.getClass().getSimpleName());
    });
  }

  private static void error(Context ctx, int status, String message) {
    ctx.status(status).json(Map.of("error", message == null ? HttpStatus.forStatus(status).getMessage() : message));
  }

  // --- handlers ---

  private void createMeter(Context ctx) {
    MeterInput input;
    try {
      input = Json.MAPPER.readValue(ctx.body(), MeterInput.class);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("invalid meter: " + e.getOriginalMessage());
    }
    if (input == null) {
      throw new IllegalArgumentException("body must be a meter object");
    }
    MeterSpec spec = s.keys().checked(input.toSpec());
    if (!s.registry().add(spec)) {
      throw new HttpResponseException(409, "meter " + spec.id() + " already exists");
    }
    s.poller().add(spec);
    s.audit().record(Requests.actor(ctx), "meter-add", spec.id(), spec.url(), true, null);
    ctx.status(201).json(meterJson(status(spec.id())));
  }

  private void deleteMeter(Context ctx) {
    String id = meterId(ctx);
    s.poller().remove(id);
    s.registry().remove(id);
    s.keyStore().remove(id); // a meter added again under this id comes with its own keys file
    s.audit().record(Requests.actor(ctx), "meter-remove", id, null, true, "stored readings kept");
    ctx.status(204);
  }

  private void continuous(Context ctx) {
    String id = meterId(ctx);
    Map<String, Object> body = Requests.body(ctx);
    if (!(body.get("enabled") instanceof Boolean enabled) || body.size() != 1) {
      throw new IllegalArgumentException("body must be {\"enabled\": true|false}");
    }
    s.poller().setContinuous(id, enabled);
    s.audit().record(Requests.actor(ctx), enabled ? "continuous-on" : "continuous-off", id, null, true, null);
    ctx.json(meterJson(status(id)));
  }

  /** Acknowledges an open alarm, audited as {@code alarm-ack}; 409 when it was acknowledged already. */
  private void acknowledgeAlarm(Context ctx) {
    long id;
    try {
      id = Long.parseLong(ctx.pathParam("id"));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("alarm id: an integer, got " + ctx.pathParam("id"));
    }
    if (!ctx.body().isBlank() && !Requests.body(ctx).isEmpty()) {
      throw new IllegalArgumentException("no body expected");
    }
    org.s3mp.headend.alarms.Alarm alarm;
    try {
      alarm = s.alarms().acknowledge(id, Requests.actor(ctx));
    } catch (IllegalStateException e) {
      throw new HttpResponseException(409, e.getMessage());
    }
    s.audit().record(Requests.actor(ctx), "alarm-ack", alarm.meterId(), "alarm " + id + " " + alarm.kind() + " "
        + alarm.subject(), true, alarm.detail());
    ctx.json(alarm);
  }

  /** The meter's registers as the dashboard shows them: OBIS code, name, unit symbol and the wire's scaler. */
  private static final List<Map<String, Object>> OBIS = org.s3mp.dlms.MeterObjects.REGISTERS.stream()
      .map(r -> Map.<String, Object>of("obis", r.obis().toString(), "name", r.name(), "unit", r.unit().symbol(),
          "scaler", r.scaler()))
      .toList();

  private void pathHistory(Context ctx) throws IOException {
    String id = Requests.meterIdOrHistory(ctx);
    Requests.Range r = Requests.range(ctx, Duration.ofDays(1));
    Geofence fence = null;
    java.util.Optional<MeterStatus> status = s.poller().status(id);
    if (status.isPresent()) {
      MeterSpec spec = status.get().spec();
      MeterUrl url = MeterUrl.parse(spec.url());
      fence = Transports.forUrl(url).geofence(LinkOptions.of(Duration.ofSeconds(5))
          .with(LinkOptions.PATH_POLICY, spec.policy())).orElse(null);
    }
    ctx.json(PathReport.of(id, r.from(), r.to(), s.readings().paths().history(id, r.from(), r.to()), s.readings().paths(),
        fence));
  }

  // --- helpers ---

  private MeterStatus status(Context ctx) {
    return status(meterId(ctx));
  }

  private MeterStatus status(String id) {
    return s.poller().status(id).orElseThrow(() -> new NoSuchElementException("no meter " + id));
  }

  private String meterId(Context ctx) {
    return Requests.meterId(ctx, s.poller());
  }

  static Map<String, Object> meterJson(MeterStatus m) {
    return meterJson(m, Instant.now());
  }

  static Map<String, Object> meterJson(MeterStatus m, Instant now) {
    Map<String, Object> json = new LinkedHashMap<>();
    MeterSpec spec = m.spec();
    json.put("id", spec.id());
    json.put("url", spec.url().replaceAll("//[^/@]*@", "//"));
    json.put("keysFile", spec.keysFile());
    json.put("policy", spec.policy());
    json.put("drkey", spec.drkey());
    json.put("pollSeconds", spec.pollSeconds());
    json.put("profile", spec.profile());
    json.put("transport", m.transport());
    json.put("connected", m.connected());
    json.put("continuous", m.continuous());
    json.put("relay", m.relay());
    json.put("lastReadingAt", m.lastReadingAt());
    json.put("lastError", m.lastError());
    json.put("path", m.path());
    json.put("clockDriftSeconds", m.clockDriftSeconds());
    json.put("clockCheckedAt", m.clockCheckedAt());
    json.put("state", m.state(now).apiName());
    return json;
  }

  private static String cachedOpenApi;

  private static synchronized String openApi() throws IOException {
    if (cachedOpenApi == null) {
      try (InputStream in = ApiServer.class.getResourceAsStream("/org/s3mp/headend/api/openapi.json")) {
        cachedOpenApi = new String(in.readAllBytes(), StandardCharsets.UTF_8);
      }
    }
    return cachedOpenApi;
  }
}
