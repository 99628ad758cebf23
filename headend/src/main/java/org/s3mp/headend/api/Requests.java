package org.s3mp.headend.api;

import com.fasterxml.jackson.core.JsonProcessingException;
import io.javalin.http.Context;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.s3mp.headend.auth.TokenStore;
import org.s3mp.headend.polling.FleetPoller;

/** What the routes read from a request (path id, JSON body, time range, limit) with a 400 for bad input. */
final class Requests {
  /** How long a route waits for the meter (the API's answer to a meter that does not answer is a 504). */
  static final Duration METER_WAIT = Duration.ofSeconds(30);
  static final int MAX_LIMIT = 100_000;

  private Requests() {}

  static <T> T await(CompletableFuture<T> future) throws Exception {
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

  /** The path's meter id; 404 for a meter the fleet does not have. */
  static String meterId(Context ctx, FleetPoller poller) {
    String id = ctx.pathParam("id");
    if (poller.status(id).isEmpty()) {
      throw new NoSuchElementException("no meter " + id);
    }
    return id;
  }

  /** History stays readable after a meter was removed, so unknown ids are fine here. */
  static String meterIdOrHistory(Context ctx) {
    return ctx.pathParam("id");
  }

  static String actor(Context ctx) {
    TokenStore.Principal p = ctx.attribute(Access.PRINCIPAL);
    return p == null ? "unknown" : p.name();
  }

  @SuppressWarnings("unchecked")
  static Map<String, Object> body(Context ctx) {
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

  record Range(Instant from, Instant to) {}

  static Range range(Context ctx, Duration defaultSpan) {
    Instant to = instant(ctx, "to", Instant.now().plusSeconds(1));
    Instant from = instant(ctx, "from", to.minus(defaultSpan));
    if (!from.isBefore(to)) {
      throw new IllegalArgumentException("from must be before to");
    }
    return new Range(from, to);
  }

  static Instant instant(Context ctx, String name, Instant fallback) {
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

  static int limit(Context ctx, int fallback) {
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
}
