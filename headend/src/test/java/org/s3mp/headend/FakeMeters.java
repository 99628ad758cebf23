package org.s3mp.headend;

import java.io.IOException;
import java.math.BigDecimal;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import org.s3mp.headend.fleet.MeterSpec;
import org.s3mp.headend.fleet.ProfileEntry;
import org.s3mp.headend.fleet.RegisterValue;
import org.s3mp.headend.polling.MeterConnection;
import org.s3mp.headend.polling.MeterConnector;
import org.s3mp.headend.polling.MeterSnapshot;

/** In-process stand-in for meters, only for the fast unit tests (the ITs use real meter processes). */
public final class FakeMeters implements MeterConnector {

  /** The state of one fake meter; tests change it directly. */
  public static final class Fake {
    public volatile boolean reachable = true;
    public volatile boolean relayConnected = true;
    public volatile String message = "";
    /** A relay welded shut and a display that keeps its text: commands run but the meter reads back the old state. */
    public volatile boolean stuck;
    public volatile CountDownLatch blockReads; // non-null: reads wait on it
    public volatile CountDownLatch blockOpens; // non-null: association set-ups wait on it
    /** The network path its reads report (null: not path-aware). */
    public volatile org.s3mp.headend.fleet.NetworkPath path;
    /** Why the path changed, as a transport reports it: handed out with the next read only. */
    public final java.util.concurrent.atomic.AtomicReference<String> pathChange =
        new java.util.concurrent.atomic.AtomicReference<>();
    /** How far the fake meter's clock is ahead of the head-end's (negative: behind). */
    public volatile java.time.Duration clockOffset = java.time.Duration.ZERO;
    /** A meter that accepts a clock SET but keeps its old time. */
    public volatile boolean clockStuck;
    public final AtomicInteger clockSets = new AtomicInteger();
    public final AtomicInteger opens = new AtomicInteger();
    /** The response timeout the last association set-up was given. */
    public volatile java.time.Duration responseTimeout;
    public final AtomicInteger reads = new AtomicInteger();
    /** Reads that break the association (an IOException) before reads answer again. */
    public final AtomicInteger breakReads = new AtomicInteger();
    public final List<ProfileEntry> profile = new java.util.concurrent.CopyOnWriteArrayList<>();
    public volatile org.s3mp.dlms.server.PushSettings push = org.s3mp.dlms.server.PushSettings.NONE;

    List<RegisterValue> registers() {
      int n = reads.get();
      BigDecimal watts = relayConnected ? BigDecimal.valueOf(400 + n) : BigDecimal.ZERO;
      return List.of(
          new RegisterValue("1.0.32.7.0.255", new BigDecimal("230.1"), "V"),
          new RegisterValue("1.0.1.7.0.255", watts, "W"),
          new RegisterValue("1.0.1.8.0.255", BigDecimal.valueOf(1000 + n), "Wh"));
    }
  }

  private final Map<String, Fake> meters = new ConcurrentHashMap<>();

  public Fake meter(String id) {
    return meters.computeIfAbsent(id, k -> new Fake());
  }

  /** Blocks until {@code block} (if set) is released: a meter that hangs until the test lets it go. */
  private static void passWhenReleased(CountDownLatch block) throws IOException {
    if (block == null) {
      return;
    }
    try {
      block.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted");
    }
  }

  @Override
  public MeterConnection open(MeterSpec spec, java.time.Duration responseTimeout) throws IOException {
    Fake f = meter(spec.id());
    f.responseTimeout = responseTimeout;
    passWhenReleased(f.blockOpens);
    if (!f.reachable) {
      throw new IOException("connection refused (fake meter " + spec.id() + " is down)");
    }
    f.opens.incrementAndGet();
    return new MeterConnection() {
      @Override
      public MeterSnapshot read() throws IOException {
        passWhenReleased(f.blockReads);
        check();
        if (f.breakReads.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
          throw new IOException("fake meter " + spec.id() + ": association broken");
        }
        f.reads.incrementAndGet();
        return new MeterSnapshot(f.registers(), f.relayConnected ? "connected" : "disconnected", f.path,
            f.pathChange.getAndSet(null));
      }

      @Override
      public String disconnect() throws IOException {
        check();
        f.relayConnected = f.stuck && f.relayConnected;
        return f.relayConnected ? "connected" : "disconnected";
      }

      @Override
      public String reconnect() throws IOException {
        check();
        f.relayConnected = !f.stuck || f.relayConnected;
        return f.relayConnected ? "connected" : "disconnected";
      }

      @Override
      public String showMessage(String text) throws IOException {
        check();
        if (!f.stuck) {
          f.message = text;
        }
        return f.message;
      }

      @Override
      public List<ProfileEntry> readProfile(Instant from, Instant to) throws IOException {
        check();
        List<ProfileEntry> result = new ArrayList<>();
        for (ProfileEntry e : f.profile) {
          if (!e.capturedAt().isBefore(from) && !e.capturedAt().isAfter(to)) {
            result.add(e);
          }
        }
        return result;
      }

      @Override
      public org.s3mp.dlms.server.PushSettings readPushSettings() throws IOException {
        check();
        return f.push;
      }

      @Override
      public org.s3mp.dlms.server.PushSettings setPush(String destination, long periodSeconds) throws IOException {
        check();
        if (!f.stuck) {
          f.push = new org.s3mp.dlms.server.PushSettings(destination, periodSeconds, destination);
        }
        return f.push;
      }

      @Override
      public Instant readClock() throws IOException {
        check();
        return Instant.now().plus(f.clockOffset);
      }

      @Override
      public void setClock(Instant time) throws IOException {
        check();
        f.clockSets.incrementAndGet();
        if (!f.clockStuck) {
          f.clockOffset = java.time.Duration.between(Instant.now(), time);
        }
      }

      @Override
      public void close() {}

      private void check() throws IOException {
        if (!f.reachable) {
          throw new IOException("fake meter " + spec.id() + " stopped answering");
        }
      }
    };
  }
}
