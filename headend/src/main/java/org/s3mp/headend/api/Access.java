package org.s3mp.headend.api;

import io.javalin.http.BadRequestResponse;
import io.javalin.http.Context;
import io.javalin.http.ForbiddenResponse;
import io.javalin.http.HandlerType;
import io.javalin.http.Header;
import io.javalin.http.HttpResponseException;
import io.javalin.http.UnauthorizedResponse;
import io.javalin.security.RouteRole;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.s3mp.headend.auth.Role;
import org.s3mp.headend.auth.TokenStore;

/**
 * Who may do what: the security headers and request screening before every route, the bearer token and the role
 * each route names, and the live streams a token may hold.
 */
final class Access {
  /** The authenticated {@link TokenStore.Principal} on the request. */
  static final String PRINCIPAL = "s3mp.principal";

  private final String instance;
  private final TokenStore tokens;
  private final RefusalAudit refusals;
  private final int maxLiveStreamsPerToken;
  private final Map<String, AtomicInteger> liveStreamsByToken = new ConcurrentHashMap<>();

  Access(String instance, TokenStore tokens, RefusalAudit refusals, int maxLiveStreamsPerToken) {
    this.instance = instance;
    this.tokens = tokens;
    this.refusals = refusals;
    this.maxLiveStreamsPerToken = maxLiveStreamsPerToken;
  }

  /**
   * Before any route: security headers on every answer; no method override (a POST must not become a DELETE
   * behind the role checks); HEAD on the API and /metrics needs a token like GET; a body must be JSON.
   */
  void screen(Context ctx) {
    ctx.header("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; object-src 'none';"
        + " frame-ancestors 'none'; base-uri 'none'; form-action 'self'");
    ctx.header("X-Frame-Options", "DENY");
    ctx.header("X-S3MP-Instance", instance); // which head-end instance answered (scale-out)
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

  void authorize(Context ctx) {
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
    TokenStore.Principal principal = tokens.authenticate(header.substring(7).trim())
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

  /** The live stream's slot (a Runnable releasing it) on the request, set by {@link #reserveLiveStream}. */
  static final String LIVE_SLOT = "s3mp.liveSlot";

  /** At most {@code maxLiveStreamsPerToken} live streams per token: 429 beyond (each holds a socket). */
  void reserveLiveStream(Context ctx) {
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
}
