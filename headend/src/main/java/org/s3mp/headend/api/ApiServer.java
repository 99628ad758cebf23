package org.s3mp.headend.api;

import com.fasterxml.jackson.core.JsonProcessingException;
import io.javalin.Javalin;
import io.javalin.http.Context;
import io.javalin.http.ForbiddenResponse;
import io.javalin.http.Header;
import io.javalin.http.HttpResponseException;
import io.javalin.http.HttpStatus;
import io.javalin.http.UnauthorizedResponse;
import io.javalin.http.staticfiles.Location;
import io.javalin.json.JavalinJackson;
import io.javalin.security.RouteRole;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicInteger;
import io.javalin.http.BadRequestResponse;
import io.javalin.http.HandlerType;
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
import org.s3mp.headend.polling.ClockReading;
import org.s3mp.headend.polling.ClockSet;
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
  private static final String PRINCIPAL = "s3mp.principal";
  private static final Duration METER_WAIT = Duration.ofSeconds(30);
  private static final int MAX_LIMIT = 100_000;

  /** Everything the API works on. */
  public record Services(
      FleetRegistry registry, FleetPoller poller, ReadingStore readings, ProfileStore profiles, AuditLog audit,
      TokenStore tokens, LiveFeed live, PrometheusMeterRegistry metrics, KeysDirectory keys,
      org.s3mp.headend.storage.PushStore pushes, org.s3mp.headend.alarms.Alarms alarms,
      org.s3mp.headend.keys.MeterKeyStore keyStore, org.s3mp.headend.keys.KeyRotation rotation, String instance,
      org.s3mp.headend.firmware.Rollouts rollouts) {}

  private final Services s;
  private final Javalin app;
  private final int maxLiveStreamsPerToken;
  private final Map<String, AtomicInteger> liveStreamsByToken = new ConcurrentHashMap<>();
  private final Set<SseClient> liveClients = ConcurrentHashMap.newKeySet();
  private final ScheduledExecutorService heartbeat;
  private final RefusalAudit refusals;
  /** Every HTTP route as "METHOD path", in registration order (tests hold openapi.json against it). */
  private final List<String> registered = new java.util.concurrent.CopyOnWriteArrayList<>();

  private ApiServer(Services services, HeadendConfig.Http http, String host, int port) {
    this.s = services;
    this.maxLiveStreamsPerToken = http.maxLiveStreamsPerToken() == null ? 8 : http.maxLiveStreamsPerToken();
    this.refusals = new RefusalAudit(services.audit(), Duration.ofSeconds(10));
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
    app.before(this::screen);
    app.beforeMatched(this::authorize);
    app.beforeMatched("/api/meters/{id}/live", this::reserveLiveStream);

    app.get("/health", ctx -> ctx.json(Map.of("status", "ok", "meters", s.registry().all().size(),
        "instance", s.instance())));
    app.get("/metrics", ctx -> ctx.contentType("text/plain; version=0.0.4; charset=utf-8").result(s.metrics().scrape()),
        Role.VIEWER);
    app.get("/api/openapi.json", ctx -> ctx.contentType("application/json").result(openApi()), Role.VIEWER);
    app.get("/api/me", ctx -> {
      TokenStore.Principal p = ctx.attribute(PRINCIPAL);
      ctx.json(Map.of("name", p.name(), "role", p.role().label(), "instance", s.instance()));
    }, Role.VIEWER);

    app.get("/api/meters", ctx -> ctx.json(s.poller().statuses().stream().map(ApiServer::meterJson).toList()), Role.VIEWER);
    app.get("/api/fleet", ctx -> ctx.json(FleetPage.of(s.poller().statuses(), FleetPage.Query.parse(ctx::queryParam),
        Instant.now())), Role.VIEWER);
    app.post("/api/meters", this::createMeter, Role.OPERATOR);
    app.get("/api/meters/{id}", ctx -> ctx.json(meterJson(status(ctx))), Role.VIEWER);
    app.delete("/api/meters/{id}", this::deleteMeter, Role.OPERATOR);
    app.post("/api/meters/{id}/read", ctx -> ctx.json(await(s.poller().readOnce(meterId(ctx)))), Role.VIEWER);
    app.post("/api/meters/{id}/continuous", this::continuous, Role.VIEWER);
    app.get("/api/meters/{id}/readings", ctx -> {
      String id = meterIdOrHistory(ctx);
      Range r = range(ctx, Duration.ofHours(1));
      ctx.json(s.readings().between(id, r.from, r.to, limit(ctx, 3600)));
    }, Role.VIEWER);
    app.get("/api/meters/{id}/profile", ctx -> {
      String id = meterIdOrHistory(ctx);
      Range r = range(ctx, Duration.ofDays(1));
      ctx.json(s.profiles().between(id, r.from, r.to, limit(ctx, 10_000)));
    }, Role.VIEWER);
    app.post("/api/meters/{id}/disconnect", ctx -> command(ctx, "disconnect", null), Role.OPERATOR);
    app.post("/api/meters/{id}/reconnect", ctx -> command(ctx, "reconnect", null), Role.OPERATOR);
    app.get("/api/meters/{id}/clock", ctx -> ctx.json(clockJson(await(s.poller().readClock(meterId(ctx))))),
        Role.VIEWER);
    app.post("/api/meters/{id}/clock", this::setClock, Role.OPERATOR);
    app.get("/api/meters/{id}/keys", ctx -> ctx.json(keysJson(meterId(ctx))), Role.VIEWER);
    app.post("/api/meters/{id}/keys/rotate", this::rotateKeys, Role.OPERATOR);
    app.post("/api/meters/{id}/message", ctx -> {
      Map<String, Object> body = body(ctx);
      Object text = body.get("text");
      if (!(text instanceof String t) || body.size() != 1) {
        throw new IllegalArgumentException("body must be {\"text\": \"...\"}");
      }
      if (t.length() > 128) {
        throw new IllegalArgumentException("text: at most 128 characters");
      }
      // the meter refuses these too; a 400 here says why instead of a failed command
      String problem = org.s3mp.dlms.MeterObjects.messageProblem(t);
      if (problem != null) {
        throw new IllegalArgumentException("text: " + problem);
      }
      command(ctx, "message", t);
    }, Role.OPERATOR);
    app.sse("/api/meters/{id}/live", client -> {
      Runnable release = client.ctx().attribute(LIVE_SLOT);
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
    app.get("/api/audit", ctx -> ctx.json(s.audit().newest(limit(ctx, 100))), Role.VIEWER);
    app.get("/api/obis", ctx -> ctx.json(OBIS), Role.VIEWER);
    app.get("/api/meters/{id}/paths", this::pathHistory, Role.VIEWER);
    app.get("/api/meters/{id}/push", ctx -> ctx.json(pushJson(meterId(ctx),
        await(s.poller().pushSettings(meterId(ctx))), null)), Role.VIEWER);
    app.post("/api/meters/{id}/push", this::setPush, Role.OPERATOR);
    app.get("/api/meters/{id}/events", ctx -> {
      String id = meterIdOrHistory(ctx);
      Range r = range(ctx, Duration.ofDays(1));
      ctx.json(s.pushes().events(id, r.from, r.to, limit(ctx, 1000)));
    }, Role.VIEWER);
    app.get("/api/alarms", ctx -> ctx.json(s.alarms().list(ctx.queryParam("state"), limit(ctx, 100))), Role.VIEWER);
    app.post("/api/alarms/{id}/ack", this::acknowledgeAlarm, Role.OPERATOR);
    app.get("/api/topology", ctx -> ctx.json(Topology.of(s.readings().paths().all().values())), Role.VIEWER);
    if (s.rollouts() != null) {
      org.s3mp.headend.firmware.FirmwareRoutes.register(app, s.rollouts(), ApiServer::actor);
    }
  }

  /**
   * Before any route: security headers on every answer; no method override (a POST must not become a DELETE
   * behind the role checks); HEAD on the API and /metrics needs a token like GET; a body must be JSON.
   */
  private void screen(Context ctx) {
    ctx.header("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; object-src 'none';"
        + " frame-ancestors 'none'; base-uri 'none'; form-action 'self'");
    ctx.header("X-Frame-Options", "DENY");
    ctx.header("X-S3MP-Instance", s.instance()); // which head-end instance answered (scale-out)
    ctx.header("X-Content-Type-Options", "nosniff");
    ctx.header("Referrer-Policy", "no-referrer");
    if (ctx.header("X-HTTP-Method-Override") != null || ctx.header("X-HTTP-Method") != null
        || ctx.header("X-Method-Override") != null) {
      throw new BadRequestResponse("method override headers are not accepted: send the method itself");
    }
    String path = ctx.path();
    boolean protectedPath = path.startsWith("/api/") || path.equals("/api") || path.equals("/metrics");
    if (ctx.method() == HandlerType.HEAD && protectedPath) {
      authorize(ctx, Set.of(Role.VIEWER));
    }
    if (protectedPath && ctx.method() != HandlerType.GET && ctx.method() != HandlerType.HEAD
        && ctx.bodyAsBytes().length > 0) {
      String type = ctx.contentType();
      if (type == null || !type.toLowerCase(java.util.Locale.ROOT).matches("application/json\\s*(;.*)?")) {
        throw new HttpResponseException(415, "request bodies must be Content-Type: application/json");
      }
    }
  }

  private void authorize(Context ctx) {
    authorize(ctx, ctx.routeRoles());
  }

  private void authorize(Context ctx, Set<RouteRole> roles) {
    if (roles.isEmpty()) {
      return; // public: /health and the dashboard's files
    }
    String header = ctx.header(Header.AUTHORIZATION);
    if (header == null || !header.regionMatches(true, 0, "Bearer ", 0, 7)) {
      ctx.header(Header.WWW_AUTHENTICATE, "Bearer");
      refusals.refused(ctx, "anonymous", 401);
      throw new UnauthorizedResponse("missing bearer token (Authorization: Bearer TOKEN)");
    }
    TokenStore.Principal principal = s.tokens().authenticate(header.substring(7).trim())
        .orElseThrow(() -> {
          ctx.header(Header.WWW_AUTHENTICATE, "Bearer error=\"invalid_token\"");
          refusals.refused(ctx, "invalid-token", 401);
          return new UnauthorizedResponse("invalid, expired or revoked token");
        });
    Role required = (Role) roles.iterator().next();
    if (!principal.role().includes(required)) {
      refusals.refused(ctx, principal.name(), 403);
      throw new ForbiddenResponse("this needs a " + required.label() + " token; yours is " + principal.role().label());
    }
    ctx.attribute(PRINCIPAL, principal);
  }

  private static final String LIVE_SLOT = "s3mp.liveSlot";

  /** At most {@code maxLiveStreamsPerToken} live streams per token: 429 beyond (each holds a socket). */
  private void reserveLiveStream(Context ctx) {
    TokenStore.Principal p = ctx.attribute(PRINCIPAL);
    if (p == null) {
      return;
    }
    AtomicInteger open = liveStreamsByToken.computeIfAbsent(p.name(), n -> new AtomicInteger());
    if (open.incrementAndGet() > maxLiveStreamsPerToken) {
      open.decrementAndGet();
      throw new HttpResponseException(429, "at most " + maxLiveStreamsPerToken + " live streams per token");
    }
    java.util.concurrent.atomic.AtomicBoolean released = new java.util.concurrent.atomic.AtomicBoolean();
    Runnable release = () -> {
      if (released.compareAndSet(false, true)) {
        open.decrementAndGet();
      }
    };
    ctx.attribute(LIVE_SLOT, release);
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
    s.audit().record(actor(ctx), "meter-add", spec.id(), spec.url(), true, null);
    ctx.status(201).json(meterJson(status(spec.id())));
  }

  private void deleteMeter(Context ctx) {
    String id = meterId(ctx);
    s.poller().remove(id);
    s.registry().remove(id);
    s.keyStore().remove(id); // a meter added again under this id comes with its own keys file
    s.audit().record(actor(ctx), "meter-remove", id, null, true, "stored readings kept");
    ctx.status(204);
  }

  private void continuous(Context ctx) {
    String id = meterId(ctx);
    Map<String, Object> body = body(ctx);
    if (!(body.get("enabled") instanceof Boolean enabled) || body.size() != 1) {
      throw new IllegalArgumentException("body must be {\"enabled\": true|false}");
    }
    s.poller().setContinuous(id, enabled);
    s.audit().record(actor(ctx), enabled ? "continuous-on" : "continuous-off", id, null, true, null);
    ctx.json(meterJson(status(id)));
  }

  private void command(Context ctx, String action, String argument) throws Exception {
    String id = meterId(ctx);
    long auditId = s.audit().begin(actor(ctx), action, id, argument);
    CompletableFuture<String> result = switch (action) {
      case "disconnect" -> s.poller().disconnect(id);
      case "reconnect" -> s.poller().reconnect(id);
      case "message" -> s.poller().showMessage(id, argument);
      default -> throw new IllegalStateException(action);
    };
    String confirmed;
    try {
      confirmed = await(result);
    } catch (Exception e) {
      s.audit().finish(auditId, false, e.getMessage());
      throw e;
    }
    boolean ok = "message".equals(action) ? argument.equals(confirmed)
        : ("disconnect".equals(action) ? "disconnected".equals(confirmed) : !"disconnected".equals(confirmed));
    s.audit().finish(auditId, ok, ("message".equals(action) ? "read back: " : "relay: ") + confirmed);
    Map<String, Object> json = new LinkedHashMap<>();
    json.put("meterId", id);
    json.put("action", action);
    json.put("confirmed", ok);
    json.put("message".equals(action) ? "text" : "relay", confirmed);
    json.put("auditId", auditId);
    ctx.status(ok ? 200 : 502).json(json);
  }

  /** Acknowledges an open alarm, audited as {@code alarm-ack}; 409 when it was acknowledged already. */
  private void acknowledgeAlarm(Context ctx) {
    long id;
    try {
      id = Long.parseLong(ctx.pathParam("id"));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("alarm id: an integer, got " + ctx.pathParam("id"));
    }
    if (!ctx.body().isBlank() && !body(ctx).isEmpty()) {
      throw new IllegalArgumentException("no body expected");
    }
    org.s3mp.headend.alarms.Alarm alarm;
    try {
      alarm = s.alarms().acknowledge(id, actor(ctx));
    } catch (IllegalStateException e) {
      throw new HttpResponseException(409, e.getMessage());
    }
    s.audit().record(actor(ctx), "alarm-ack", alarm.meterId(), "alarm " + id + " " + alarm.kind() + " "
        + alarm.subject(), true, alarm.detail());
    ctx.json(alarm);
  }

  /** SET of the meter's push setups: {"destination": URL or "", "periodSeconds": N}, audited. */
  private void setPush(Context ctx) throws Exception {
    String id = meterId(ctx);
    Map<String, Object> body = body(ctx);
    if (!(body.get("destination") instanceof String destination) || !(body.get("periodSeconds") instanceof Integer
        || body.get("periodSeconds") instanceof Long) || body.size() != 2) {
      throw new IllegalArgumentException("body must be {\"destination\": \"tcp://HOST:PORT\" or \"\", "
          + "\"periodSeconds\": 0 to " + org.s3mp.dlms.server.PushSettings.MAX_PERIOD + "}");
    }
    long period = ((Number) body.get("periodSeconds")).longValue();
    // checks both before the meter is asked (the meter refuses them too)
    new org.s3mp.dlms.server.PushSettings(destination, period, destination);
    String argument = (destination.isEmpty() ? "none" : destination) + " every " + period + " s";
    long auditId = s.audit().begin(actor(ctx), "push-set", id, argument);
    org.s3mp.dlms.server.PushSettings now;
    try {
      now = await(s.poller().setPush(id, destination.strip(), period));
    } catch (Exception e) {
      s.audit().finish(auditId, false, e.getMessage());
      throw e;
    }
    boolean ok = now.equals(new org.s3mp.dlms.server.PushSettings(destination, period, destination));
    s.audit().finish(auditId, ok, "read back: registers to '" + now.registersDestination() + "' every "
        + now.periodSeconds() + " s, events to '" + now.eventsDestination() + "'");
    ctx.status(ok ? 200 : 502).json(pushJson(id, now, auditId));
  }

  private static Map<String, Object> pushJson(String id, org.s3mp.dlms.server.PushSettings p, Long auditId) {
    Map<String, Object> json = new LinkedHashMap<>();
    json.put("meterId", id);
    json.put("registersDestination", p.registersDestination());
    json.put("periodSeconds", p.periodSeconds());
    json.put("eventsDestination", p.eventsDestination());
    if (auditId != null) {
      json.put("auditId", auditId);
    }
    return json;
  }

  /** Sets the meter's clock to the head-end's time, audited like the other commands (with the drift before). */
  private void setClock(Context ctx) throws Exception {
    String id = meterId(ctx);
    if (!ctx.body().isBlank()) {
      Map<String, Object> body = body(ctx);
      if (!body.isEmpty()) {
        throw new IllegalArgumentException("no body expected: the clock is set to the head-end's time");
      }
    }
    long auditId = s.audit().begin(actor(ctx), "clock-set", id, null);
    ClockSet set;
    try {
      set = await(s.poller().setClock(id));
    } catch (Exception e) {
      s.audit().finish(auditId, false, e.getMessage());
      throw e;
    }
    s.audit().finish(auditId, set.confirmed(), String.format(java.util.Locale.ROOT,
        "drift before %+.3f s, after %+.3f s", set.before().driftSeconds(), set.after().driftSeconds()));
    Map<String, Object> json = new LinkedHashMap<>();
    json.put("meterId", id);
    json.put("action", "clock-set");
    json.put("confirmed", set.confirmed());
    json.put("driftBeforeSeconds", set.before().driftSeconds());
    json.putAll(clockJson(set.after()));
    json.put("auditId", auditId);
    ctx.status(set.confirmed() ? 200 : 502).json(json);
  }

  /**
   * Which keys a meter uses, never the keys: their public key id, where they come from (its keys file, rotated by
   * the head-end, or DRKey), since when (the keys file's modification time until the first rotation) and keys
   * transferred but not confirmed yet.
   */
  private Map<String, Object> keysJson(String id) {
    MeterSpec spec = s.registry().find(id).orElseThrow(() -> new NoSuchElementException("no meter " + id));
    Map<String, Object> json = new LinkedHashMap<>();
    json.put("meterId", id);
    if (spec.drkey()) {
      json.put("source", "drkey");
      json.put("keyId", null);
      json.put("since", null);
      json.put("ageSeconds", null);
      json.put("rotatable", false);
      json.put("pending", null);
      return json;
    }
    var stored = s.keyStore().find(id);
    org.s3mp.dlms.security.KeysFile current = stored.map(k -> k.current()).orElse(null);
    Instant since = stored.map(k -> k.currentSince()).orElse(null);
    String source = "rotated";
    if (current == null) {
      source = "keysFile";
      try {
        java.nio.file.Path file = java.nio.file.Path.of(spec.keysFile());
        current = KeysDirectory.load(file);
        since = java.nio.file.Files.getLastModifiedTime(file).toInstant();
      } catch (IOException | RuntimeException e) {
        log.warn("meter {}: keys file not usable: {}", id, e.getMessage());
        throw new HttpResponseException(409, "the meter's keys file is not usable (see the head-end log)");
      }
    }
    json.put("source", source);
    json.put("keyId", current.keyId());
    json.put("since", since);
    json.put("ageSeconds", since == null ? null : Math.max(0, Duration.between(since, Instant.now()).toSeconds()));
    json.put("rotatable", current.rotatable() && s.rotation() != null && s.keyStore().hasMasterKey());
    var pending = stored.filter(k -> k.pending() != null).orElse(null);
    json.put("pending", pending == null ? null
        : Map.of("keyId", pending.pendingId(), "since", pending.pendingSince()));
    return json;
  }

  /** Rotates the meter's static keys (see KeyRotation), audited. */
  private void rotateKeys(Context ctx) throws Exception {
    String id = meterId(ctx);
    if (!ctx.body().isBlank() && !body(ctx).isEmpty()) {
      throw new IllegalArgumentException("no body expected: the head-end generates the new keys");
    }
    MeterSpec spec = s.registry().find(id).orElseThrow(() -> new NoSuchElementException("no meter " + id));
    if (s.rotation() == null) {
      throw new HttpResponseException(409, "this head-end's meter connector cannot rotate keys");
    }
    long auditId = s.audit().begin(actor(ctx), "keys-rotate", id, null);
    org.s3mp.headend.keys.KeyRotation.Result r;
    try {
      // on the meter's holder when another instance holds it: one association to the meter at a time
      var viaHolder = s.poller().viaHolder(id, org.s3mp.headend.keys.KeyRotation.OPERATION, null,
          org.s3mp.headend.keys.KeyRotation.Outcome.class);
      r = viaHolder.isPresent() ? await(viaHolder.get()).get() : s.rotation().rotate(spec);
    } catch (org.s3mp.headend.keys.KeyRotation.RotationFailedException e) {
      s.audit().finish(auditId, false, e.getMessage());
      Map<String, Object> json = new LinkedHashMap<>();
      json.put("error", e.getMessage());
      json.put("step", e.step());
      json.put("auditId", auditId);
      ctx.status(502).json(json);
      return;
    } catch (IllegalStateException e) {
      s.audit().finish(auditId, false, e.getMessage());
      throw new HttpResponseException(409, e.getMessage());
    } catch (Exception e) {
      s.audit().finish(auditId, false, e.getMessage());
      if (e instanceof IOException) {
        throw new MeterUnavailableException("meter " + id + ": " + e.getMessage(), e);
      }
      throw e;
    }
    s.audit().finish(auditId, true, "keys " + r.oldKeyId() + " retired, now " + r.newKeyId());
    Map<String, Object> json = new LinkedHashMap<>();
    json.put("meterId", id);
    json.put("action", "keys-rotate");
    json.put("oldKeyId", r.oldKeyId());
    json.put("newKeyId", r.newKeyId());
    json.put("rotatedAt", r.rotatedAt());
    json.put("auditId", auditId);
    ctx.json(json);
  }

  private static Map<String, Object> clockJson(ClockReading r) {
    Map<String, Object> json = new LinkedHashMap<>();
    json.put("meterTime", r.meterTime());
    json.put("headendTime", r.headendTime());
    json.put("driftSeconds", r.driftSeconds());
    return json;
  }

  /** The meter's registers as the dashboard shows them: OBIS code, name, unit symbol and the wire's scaler. */
  private static final List<Map<String, Object>> OBIS = org.s3mp.dlms.MeterObjects.REGISTERS.stream()
      .map(r -> Map.<String, Object>of("obis", r.obis().toString(), "name", r.name(), "unit", r.unit().symbol(),
          "scaler", r.scaler()))
      .toList();

  private void pathHistory(Context ctx) throws IOException {
    String id = meterIdOrHistory(ctx);
    Range r = range(ctx, Duration.ofDays(1));
    Geofence fence = null;
    java.util.Optional<MeterStatus> status = s.poller().status(id);
    if (status.isPresent()) {
      MeterSpec spec = status.get().spec();
      MeterUrl url = MeterUrl.parse(spec.url());
      fence = Transports.forUrl(url).geofence(LinkOptions.of(Duration.ofSeconds(5))
          .with(LinkOptions.PATH_POLICY, spec.policy())).orElse(null);
    }
    ctx.json(PathReport.of(id, r.from, r.to, s.readings().paths().history(id, r.from, r.to), s.readings().paths(),
        fence));
  }

  // --- helpers ---

  private static <T> T await(CompletableFuture<T> future) throws Exception {
    try {
      return future.get(METER_WAIT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (ExecutionException | CompletionException e) {
      Throwable cause = e.getCause() instanceof CompletionException c && c.getCause() != null ? c.getCause() : e.getCause();
      if (cause instanceof Exception ex) {
        throw ex;
      }
      throw e;
    }
  }

  private MeterStatus status(Context ctx) {
    return status(meterId(ctx));
  }

  private MeterStatus status(String id) {
    return s.poller().status(id).orElseThrow(() -> new NoSuchElementException("no meter " + id));
  }

  private String meterId(Context ctx) {
    String id = ctx.pathParam("id");
    if (s.poller().status(id).isEmpty()) {
      throw new NoSuchElementException("no meter " + id);
    }
    return id;
  }

  /** History stays readable after a meter was removed, so unknown ids are fine here. */
  private static String meterIdOrHistory(Context ctx) {
    return ctx.pathParam("id");
  }

  private static String actor(Context ctx) {
    TokenStore.Principal p = ctx.attribute(PRINCIPAL);
    return p == null ? "unknown" : p.name();
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> body(Context ctx) {
    try {
      Object value = Json.MAPPER.readValue(ctx.body(), Object.class);
      if (value instanceof Map<?, ?> map) {
        return (Map<String, Object>) map;
      }
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("invalid JSON body: " + e.getOriginalMessage());
    }
    throw new IllegalArgumentException("body must be a JSON object");
  }

  private record Range(Instant from, Instant to) {}

  private static Range range(Context ctx, Duration defaultSpan) {
    Instant to = instant(ctx, "to", Instant.now().plusSeconds(1));
    Instant from = instant(ctx, "from", to.minus(defaultSpan));
    if (!from.isBefore(to)) {
      throw new IllegalArgumentException("from must be before to");
    }
    return new Range(from, to);
  }

  private static Instant instant(Context ctx, String name, Instant fallback) {
    String text = ctx.queryParam(name);
    if (text == null || text.isEmpty()) {
      return fallback;
    }
    try {
      return Instant.parse(text);
    } catch (DateTimeParseException e) {
      throw new IllegalArgumentException(name + ": not an ISO-8601 instant such as 2026-01-31T12:00:00Z: " + text);
    }
  }

  private static int limit(Context ctx, int fallback) {
    String text = ctx.queryParam("limit");
    if (text == null || text.isEmpty()) {
      return fallback;
    }
    try {
      int n = Integer.parseInt(text);
      if (n >= 1 && n <= MAX_LIMIT) {
        return n;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw new IllegalArgumentException("limit: an integer from 1 to " + MAX_LIMIT + ", got " + text);
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
