package org.s3mp.headend.firmware;

import com.fasterxml.jackson.core.JsonProcessingException;
import io.javalin.Javalin;
import io.javalin.http.Context;
import io.javalin.http.HttpResponseException;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Base64;
import java.util.List;
import java.util.function.Function;
import org.s3mp.headend.api.Json;
import org.s3mp.headend.auth.Role;

/** The firmware routes of the API (documented in openapi.json with the others). */
public final class FirmwareRoutes {
  private FirmwareRoutes() {}

  /** Request bodies the largest image needs: base64 of 4 MiB plus JSON. */
  public static final long MAX_BODY_BYTES = (FirmwareImages.MAX_BYTES / 3 + 1) * 4L + 1024;

  private record Upload(String image) {}

  private record Filter(String q, String transport) {}

  private record Create(String imageId, List<String> meters, Filter filter, Integer concurrency,
      String activateAt) {}

  /**
   * Registers the routes on the API's server; {@code actor} names the caller (the audit log's actor), the API's
   * before-handlers check the roles given here.
   */
  public static void register(Javalin app, Rollouts rollouts, Function<Context, String> actor) {
    app.get("/api/firmware/images", ctx -> ctx.json(rollouts.images()), Role.VIEWER);
    app.post("/api/firmware/images", ctx -> {
      Upload body = read(ctx, Upload.class, "{\"image\": \"BASE64 of the signed image\"}");
      if (body.image() == null) {
        throw new IllegalArgumentException("body must be {\"image\": \"BASE64 of the signed image\"}");
      }
      byte[] bundle;
      try {
        bundle = Base64.getDecoder().decode(body.image());
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("image: not base64 (" + e.getMessage() + ")");
      }
      ctx.status(201).json(rollouts.upload(bundle, actor.apply(ctx)));
    }, Role.OPERATOR);
    app.get("/api/firmware/rollouts", ctx -> ctx.json(rollouts.list()), Role.VIEWER);
    app.post("/api/firmware/rollouts", ctx -> {
      Create body = read(ctx, Create.class, "{\"imageId\": ..., \"meters\": [...] or \"filter\": {\"q\": ...,"
          + " \"transport\": ...}, \"concurrency\": N, \"activateAt\": ISO-8601 or null}");
      Instant at = null;
      if (body.activateAt() != null && !body.activateAt().isEmpty()) {
        try {
          at = Instant.parse(body.activateAt());
        } catch (DateTimeParseException e) {
          throw new IllegalArgumentException("activateAt: an ISO-8601 instant such as 2026-12-05T02:00:00Z, got "
              + body.activateAt());
        }
        if (!at.isAfter(Instant.now())) {
          throw new IllegalArgumentException("activateAt: " + at + " is not in the future (leave it out to activate"
              + " at once)");
        }
      }
      Filter f = body.filter();
      ctx.status(201).json(rollouts.create(new Rollouts.Request(body.imageId(), body.meters(),
          f == null ? null : f.q() == null ? "" : f.q(), f == null ? null : f.transport(), body.concurrency(), at),
          actor.apply(ctx)));
    }, Role.OPERATOR);
    app.get("/api/firmware/rollouts/{id}", ctx -> ctx.json(rollouts.get(id(ctx))), Role.VIEWER);
    app.post("/api/firmware/rollouts/{id}/pause", ctx -> ctx.json(allowed(() -> rollouts.pause(id(ctx),
        actor.apply(ctx)))), Role.OPERATOR);
    app.post("/api/firmware/rollouts/{id}/resume", ctx -> ctx.json(allowed(() -> rollouts.resume(id(ctx),
        actor.apply(ctx)))), Role.OPERATOR);
    app.post("/api/firmware/rollouts/{id}/cancel", ctx -> ctx.json(allowed(() -> rollouts.cancel(id(ctx),
        actor.apply(ctx)))), Role.OPERATOR);
  }

  private static <T> T allowed(java.util.function.Supplier<T> transition) {
    try {
      return transition.get();
    } catch (RolloutPlan.NotAllowedException e) {
      throw new HttpResponseException(409, e.getMessage());
    }
  }

  private static long id(Context ctx) {
    try {
      return Long.parseLong(ctx.pathParam("id"));
    } catch (NumberFormatException e) {
      throw new java.util.NoSuchElementException("no rollout " + ctx.pathParam("id"));
    }
  }

  private static <T> T read(Context ctx, Class<T> type, String shape) {
    T value;
    try {
      value = Json.MAPPER.readValue(ctx.body(), type);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("body must be " + shape + ": " + e.getOriginalMessage());
    }
    if (value == null) {
      throw new IllegalArgumentException("body must be " + shape);
    }
    return value;
  }
}
