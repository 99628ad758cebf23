package org.s3mp.headend.api;

import io.javalin.http.Context;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.s3mp.headend.commands.AuditLog;

/**
 * Refused API attempts (401, 403) in the audit log, aggregated: at most one entry per source address and status
 * per window, carrying how many were refused since the last one, so that a flood of bad tokens cannot flood
 * the database.
 */
final class RefusalAudit {

  private static final int MAX_SOURCES = 10_000;

  private record Window(long startedNanos, int suppressed) {}

  private final AuditLog audit;
  private final long windowNanos;
  private final Map<String, Window> windows = new ConcurrentHashMap<>();

  RefusalAudit(AuditLog audit, Duration window) {
    this.audit = audit;
    this.windowNanos = window.toNanos();
  }

  void refused(Context ctx, String actor, int status) {
    String key = ctx.ip() + " " + status;
    long now = System.nanoTime();
    if (windows.size() > MAX_SOURCES) {
      windows.clear(); // many sources: forget the windows rather than grow without bound
    }
    Window before = windows.get(key);
    if (before != null && now - before.startedNanos() < windowNanos) {
      windows.put(key, new Window(before.startedNanos(), before.suppressed() + 1));
      return;
    }
    windows.put(key, new Window(now, 0));
    String detail = status + " from " + ctx.ip()
        + (before == null || before.suppressed() == 0 ? "" : " (and " + before.suppressed() + " more refused before)");
    try {
      audit.record(actor, status == 401 ? "refused-unauthenticated" : "refused-forbidden", null,
          ctx.method() + " " + ctx.path(), false, detail);
    } catch (RuntimeException e) {
      // the refusal itself stands; failing to log it must not turn a 401 into a 500
    }
  }
}
