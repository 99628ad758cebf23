package org.s3mp.headend.api;

import io.javalin.http.Context;
import io.javalin.http.HttpResponseException;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.concurrent.CompletableFuture;
import org.s3mp.headend.fleet.KeysDirectory;
import org.s3mp.headend.fleet.MeterSpec;
import org.s3mp.headend.polling.ClockReading;
import org.s3mp.headend.polling.ClockSet;
import org.s3mp.headend.polling.MeterUnavailableException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The routes that act on a meter through its association, each audited from request to outcome: relay commands and
 * the display message (confirmed by reading back), push setups, the clock, and key rotation.
 */
final class MeterOperations {
  private static final Logger log = LoggerFactory.getLogger(MeterOperations.class);

  private final ApiServer.Services s;

  MeterOperations(ApiServer.Services services) {
    this.s = services;
  }

  /** The display message: {"text": "..."}, checked here as the meter would, then sent and read back. */
  void message(Context ctx) throws Exception {
    Map<String, Object> body = Requests.body(ctx);
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
  }

  void command(Context ctx, String action, String argument) throws Exception {
    String id = Requests.meterId(ctx, s.poller());
    long auditId = s.audit().begin(Requests.actor(ctx), action, id, argument);
    CompletableFuture<String> result = switch (action) {
      case "disconnect" -> s.poller().disconnect(id);
      case "reconnect" -> s.poller().reconnect(id);
      case "message" -> s.poller().showMessage(id, argument);
      default -> throw new IllegalStateException(action);
    };
    String confirmed;
    try {
      confirmed = Requests.await(result);
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

  /** SET of the meter's push setups: {"destination": URL or "", "periodSeconds": N}, audited. */
  void setPush(Context ctx) throws Exception {
    String id = Requests.meterId(ctx, s.poller());
    Map<String, Object> body = Requests.body(ctx);
    if (!(body.get("destination") instanceof String destination) || !(body.get("periodSeconds") instanceof Integer
        || body.get("periodSeconds") instanceof Long) || body.size() != 2) {
      throw new IllegalArgumentException("body must be {\"destination\": \"tcp://HOST:PORT\" or \"\", "
          + "\"periodSeconds\": 0 to " + org.s3mp.dlms.server.PushSettings.MAX_PERIOD + "}");
    }
    long period = ((Number) body.get("periodSeconds")).longValue();
    // checks both before the meter is asked (the meter refuses them too)
    new org.s3mp.dlms.server.PushSettings(destination, period, destination);
    String argument = (destination.isEmpty() ? "none" : destination) + " every " + period + " s";
    long auditId = s.audit().begin(Requests.actor(ctx), "push-set", id, argument);
    org.s3mp.dlms.server.PushSettings now;
    try {
      now = Requests.await(s.poller().setPush(id, destination.strip(), period));
    } catch (Exception e) {
      s.audit().finish(auditId, false, e.getMessage());
      throw e;
    }
    boolean ok = now.equals(new org.s3mp.dlms.server.PushSettings(destination, period, destination));
    s.audit().finish(auditId, ok, "read back: registers to '" + now.registersDestination() + "' every "
        + now.periodSeconds() + " s, events to '" + now.eventsDestination() + "'");
    ctx.status(ok ? 200 : 502).json(pushJson(id, now, auditId));
  }

  static Map<String, Object> pushJson(String id, org.s3mp.dlms.server.PushSettings p, Long auditId) {
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
  void setClock(Context ctx) throws Exception {
    String id = Requests.meterId(ctx, s.poller());
    if (!ctx.body().isBlank()) {
      Map<String, Object> body = Requests.body(ctx);
      if (!body.isEmpty()) {
        throw new IllegalArgumentException("no body expected: the clock is set to the head-end's time");
      }
    }
    long auditId = s.audit().begin(Requests.actor(ctx), "clock-set", id, null);
    ClockSet set;
    try {
      set = Requests.await(s.poller().setClock(id));
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
  Map<String, Object> keysJson(String id) {
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
  void rotateKeys(Context ctx) throws Exception {
    String id = Requests.meterId(ctx, s.poller());
    if (!ctx.body().isBlank() && !Requests.body(ctx).isEmpty()) {
      throw new IllegalArgumentException("no body expected: the head-end generates the new keys");
    }
    MeterSpec spec = s.registry().find(id).orElseThrow(() -> new NoSuchElementException("no meter " + id));
    if (s.rotation() == null) {
      throw new HttpResponseException(409, "this head-end's meter connector cannot rotate keys");
    }
    long auditId = s.audit().begin(Requests.actor(ctx), "keys-rotate", id, null);
    org.s3mp.headend.keys.KeyRotation.Result r;
    try {
      // on the meter's holder when another instance holds it: one association to the meter at a time
      var viaHolder = s.poller().viaHolder(id, org.s3mp.headend.keys.KeyRotation.OPERATION, null,
          org.s3mp.headend.keys.KeyRotation.Outcome.class);
      r = viaHolder.isPresent() ? Requests.await(viaHolder.get()).get() : s.rotation().rotate(spec);
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

  static Map<String, Object> clockJson(ClockReading r) {
    Map<String, Object> json = new LinkedHashMap<>();
    json.put("meterTime", r.meterTime());
    json.put("headendTime", r.headendTime());
    json.put("driftSeconds", r.driftSeconds());
    return json;
  }
}
