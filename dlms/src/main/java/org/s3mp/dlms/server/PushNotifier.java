package org.s3mp.dlms.server;

import gurux.dlms.GXDateTime;
import gurux.dlms.objects.GXDLMSClock;
import gurux.dlms.objects.GXDLMSData;
import gurux.dlms.objects.GXDLMSDisconnectControl;
import gurux.dlms.objects.GXDLMSPushSetup;
import gurux.dlms.objects.GXDLMSRegister;
import java.io.IOException;
import java.time.Duration;
import java.util.Date;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import org.s3mp.dlms.MeterEvent;
import org.s3mp.dlms.MeterObjects;
import org.s3mp.dlms.MeterObjects.RegisterDef;
import org.s3mp.dlms.ObisCode;
import org.s3mp.dlms.cosem.CosemObjects;
import org.s3mp.dlms.cosem.PushObjects;
import org.s3mp.dlms.security.KeysFile;
import org.s3mp.dlms.transport.ClientLink;
import org.s3mp.dlms.transport.LinkOptions;
import org.s3mp.dlms.transport.MeterUrl;
import org.s3mp.dlms.transport.Transports;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends the meter's pushes (DLMS Data-Notification, ciphered with the meter's keys) as its push setups say: the
 * instantaneous registers every period, events at once. One serial executor sends everything in order, so the invocation
 * counters arrive at a listener in the order they were used. Links to the destinations are opened on the first
 * push (TCP connect or a SCION socket with the meter's path policy) and reopened once when a push fails; a push
 * that still fails is dropped and counted (DLMS pushes are unconfirmed; the head-end's polling closes gaps).
 */
public final class PushNotifier implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(PushNotifier.class);
  /** At most one log line about failed pushes per interval. */
  private static final long FAIL_LOG_INTERVAL_NANOS = 10_000_000_000L;

  private final CosemServer server;
  private final MeterBackend backend;
  private final java.util.function.Supplier<KeysFile> keys;
  private final LinkOptions options;
  private final ScheduledExecutorService executor;
  private final GXDLMSClock clock = CosemObjects.clock();
  private final List<GXDLMSRegister> registers = CosemObjects.registers();
  private final GXDLMSData eventCode = CosemObjects.eventCode();
  private final GXDLMSDisconnectControl relay =
      new GXDLMSDisconnectControl(MeterObjects.DISCONNECT_CONTROL.toString());
  private final GXDLMSPushSetup registersPush = PushObjects.registersPush(clock, registers);
  private final GXDLMSPushSetup eventsPush = PushObjects.eventsPush(clock, eventCode, relay);
  private final Map<String, ClientLink> links = new HashMap<>(); // only on the executor thread
  private final AtomicLong sent = new AtomicLong();
  private final AtomicLong failed = new AtomicLong();
  private long lastFailLog = System.nanoTime() - FAIL_LOG_INTERVAL_NANOS;
  private ScheduledFuture<?> periodic;

  /**
   * @param keys the meter's static keys (the head-end has the same for this meter)
   * @param options options for the links to the destinations (SCION: daemon, path policy)
   */
  public PushNotifier(CosemServer server, MeterBackend backend, KeysFile keys, LinkOptions options) {
    this(server, backend, () -> keys, options);
  }

  /** Pushes with the keys {@code keys} gives at each push: the current ones of a meter whose keys are rotated. */
  public PushNotifier(CosemServer server, MeterBackend backend, java.util.function.Supplier<KeysFile> keys,
      LinkOptions options) {
    this.server = server;
    this.backend = backend;
    this.keys = keys;
    this.options = options;
    // serial on the process's shared threads: thousands of simulated meters in one process had a thread each
    this.executor = SerialScheduler.create();
  }

  /** Starts the periodic pushes the backend's settings ask for. */
  public void start() {
    settingsChanged();
  }

  /** The push settings changed: the period restarts from now. */
  public void settingsChanged() {
    executor.execute(this::reschedule);
  }

  /** Pushes an event at once (after whatever is queued). */
  public void event(MeterEvent event) {
    try {
      executor.execute(() -> pushEvent(event));
    } catch (java.util.concurrent.RejectedExecutionException e) {
      log.debug("push of {} after close dropped", event);
    }
  }

  /** Waits until everything queued so far was sent or failed (a last gasp must leave before the power goes). */
  public boolean flush(Duration wait) {
    try {
      executor.submit(() -> {}).get(wait.toMillis(), TimeUnit.MILLISECONDS);
      return true;
    } catch (TimeoutException | ExecutionException | java.util.concurrent.RejectedExecutionException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  /** Notifications sent. */
  public long sent() {
    return sent.get();
  }

  /** Notifications that could not be sent (no link, or the link failed twice). */
  public long failed() {
    return failed.get();
  }

  private void reschedule() {
    if (periodic != null) {
      periodic.cancel(false);
      periodic = null;
    }
    PushSettings s = backend.pushSettings();
    if (!s.registersDestination().isEmpty() && s.periodSeconds() > 0) {
      periodic = executor.scheduleAtFixedRate(this::pushRegisters, s.periodSeconds(), s.periodSeconds(),
          TimeUnit.SECONDS);
      log.info("pushing the registers to {} every {} s", s.registersDestination(), s.periodSeconds());
    }
  }

  private void pushRegisters() {
    String destination = backend.pushSettings().registersDestination();
    if (destination.isEmpty()) {
      return;
    }
    boolean[] complete = {true};
    push(destination, registersPush, () -> {
      clock.setTime(new GXDateTime(Date.from(backend.now())));
      for (GXDLMSRegister r : registers) {
        RegisterDef def = MeterObjects.register(ObisCode.parse(r.getLogicalName())).orElseThrow();
        try {
          r.setValue(AssociationServer.raw(def, backend.registerValue(def.obis())));
        } catch (TemporaryFailureException e) {
          complete[0] = false;
        }
      }
    }, complete);
  }

  private void pushEvent(MeterEvent event) {
    String destination = backend.pushSettings().eventsDestination();
    if (destination.isEmpty()) {
      return;
    }
    push(destination, eventsPush, () -> {
      clock.setTime(new GXDateTime(Date.from(backend.now())));
      eventCode.setValue(event.code());
      relay.setOutputState(backend.relay().outputConnected());
    }, new boolean[] {true});
  }

  private void push(String destination, GXDLMSPushSetup push, Runnable fill, boolean[] complete) {
    byte[][] frames;
    try {
      frames = server.notification(keys.get(), push, fill);
    } catch (Exception e) {
      fail(destination, "cannot encode " + push.getLogicalName() + ": " + e);
      return;
    }
    if (!complete[0]) {
      // never push stale or made-up values; the counter it used is simply skipped
      fail(destination, "a register could not be read now");
      return;
    }
    for (int attempt = 0; attempt < 2; attempt++) {
      try {
        ClientLink link = link(destination);
        for (byte[] f : frames) {
          link.send(f);
        }
        sent.incrementAndGet();
        return;
      } catch (IOException | RuntimeException e) {
        ClientLink broken = links.remove(destination);
        if (broken != null) {
          broken.close();
        }
        if (attempt == 1) {
          fail(destination, e.getMessage());
        }
      }
    }
  }

  private ClientLink link(String destination) throws IOException {
    ClientLink link = links.get(destination);
    if (link == null) {
      MeterUrl url = MeterUrl.parse(destination);
      link = Transports.forUrl(url).connect(url, options);
      links.put(destination, link);
    }
    return link;
  }

  private void fail(String destination, String why) {
    long total = failed.incrementAndGet();
    long now = System.nanoTime();
    if (now - lastFailLog >= FAIL_LOG_INTERVAL_NANOS) {
      lastFailLog = now;
      log.warn("push to {} failed: {} ({} failed pushes in total)", destination, why, total);
    }
  }

  @Override
  public void close() {
    executor.shutdown();
    try {
      executor.awaitTermination(2, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    executor.shutdownNow();
    synchronized (links) {
      links.values().forEach(ClientLink::close);
      links.clear();
    }
  }
}
