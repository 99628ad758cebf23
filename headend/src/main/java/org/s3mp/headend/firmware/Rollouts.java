package org.s3mp.headend.firmware;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Set;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.s3mp.headend.commands.AuditLog;
import org.s3mp.headend.fleet.FleetRegistry;
import org.s3mp.headend.fleet.MeterSpec;
import org.s3mp.headend.polling.FirmwareProgress;
import org.s3mp.headend.polling.FirmwareRefusedException;
import org.s3mp.headend.polling.FleetPoller;
import org.s3mp.headend.polling.MeterElsewhereException;
import org.s3mp.headend.storage.Database;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Firmware rollouts: signed images uploaded to the head-end, each rolled out to a group of meters with a bounded
 * number of transfers at once, paused, resumed or cancelled by operators. Everything is in the database, so a
 * restarted head-end goes on where it was (a transfer it was in the middle of starts again) and, with several
 * instances, each transfers only to the meters whose lease it holds, through that meter's session.
 */
public final class Rollouts implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Rollouts.class);
  /** An in-flight meter whose instance has not written progress for this long is taken as orphaned. */
  private static final Duration STALE = Duration.ofMinutes(2);
  private static final Duration TICK = Duration.ofMillis(500);
  static final int MAX_CONCURRENCY = 100;

  private final FleetPoller poller;
  private final FleetRegistry registry;
  private final AuditLog audit;
  private final String instance;
  private final FirmwareImages images;
  private final RolloutStore store;
  private final ScheduledExecutorService runner;
  /** The state of each open rollout as the last pass saw it (transfers check it for a cancel). */
  private final Map<Long, RolloutState> states = new ConcurrentHashMap<>();
  /** When this instance last ran a pass over a rollout (what a client waits for to see a pause hold). */
  private final Map<Long, Instant> checkedAt = new ConcurrentHashMap<>();
  /** "rollout/meter" of the transfers and activation checks running here. */
  private final Set<String> busy = ConcurrentHashMap.newKeySet();
  private final Map<String, byte[]> contents = new ConcurrentHashMap<>();
  private volatile Instant lastOrphanCheck = Instant.EPOCH;
  /** Set by close(): transfers stop after their current block and stay in flight, taken back at the next start. */
  private volatile boolean stopping;

  /**
   * @param vendorKeys directory of the vendors' firmware-signing public keys ({@code *.pub})
   * @param instance this head-end instance's name (claims in the database carry it)
   */
  public Rollouts(Database db, FleetPoller poller, FleetRegistry registry, AuditLog audit, Path vendorKeys,
      String instance) {
    this.poller = poller;
    this.registry = registry;
    this.audit = audit;
    this.instance = instance;
    this.images = new FirmwareImages(db, vendorKeys);
    this.store = new RolloutStore(db);
    this.runner = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "firmware-rollouts");
      t.setDaemon(true);
      return t;
    });
  }

  /** Takes back the transfers a stopped head-end left, then runs the rollouts (after the meters' sessions). */
  public void start() {
    requeueOrphans();
    runner.scheduleWithFixedDelay(this::passQuietly, 0, TICK.toMillis(), TimeUnit.MILLISECONDS);
  }

  @Override
  public void close() {
    stopping = true;
    runner.shutdownNow();
  }

  // ------------------------------------------------------------------ operations (the API's)

  /** Verifies and stores a signed image; audited as firmware-upload (refusals too). */
  public Map<String, Object> upload(byte[] bundle, String actor) {
    long auditId = audit.begin(actor, "firmware-upload", null, bundle.length + " bytes");
    FirmwareImages.Info info;
    try {
      info = images.upload(bundle, actor);
    } catch (RuntimeException e) {
      audit.finish(auditId, false, e.getMessage());
      throw e;
    }
    audit.finish(auditId, true, "image " + info.id() + " firmware " + info.firmwareId() + " signed by "
        + info.signer());
    return imageJson(info);
  }

  public List<Map<String, Object>> images() {
    return images.all().stream().map(Rollouts::imageJson).toList();
  }

  /** What a new rollout is to do; {@link #create} checks it. */
  public record Request(String imageId, List<String> meters, String filterText, String filterTransport,
      Integer concurrency, Instant activateAt) {}

  /** Creates a running rollout; audited as firmware-rollout. */
  public Map<String, Object> create(Request r, String actor) {
    if (r.imageId() == null || r.imageId().isBlank()) {
      throw new IllegalArgumentException("imageId is required (POST /api/firmware/images returns it)");
    }
    FirmwareImages.Info image = images.find(r.imageId())
        .orElseThrow(() -> new NoSuchElementException("no firmware image " + r.imageId()));
    int concurrency = r.concurrency() == null ? 5 : r.concurrency();
    if (concurrency < 1 || concurrency > MAX_CONCURRENCY) {
      throw new IllegalArgumentException("concurrency: 1 to " + MAX_CONCURRENCY + ", got " + concurrency);
    }
    List<String> meters = group(r);
    long auditId = audit.begin(actor, "firmware-rollout", null, "image " + image.id() + " (" + image.firmwareId()
        + ") to " + meters.size() + " meters, " + concurrency + " at once"
        + (r.activateAt() == null ? "" : ", activation at " + r.activateAt()));
    long id;
    try {
      id = store.create(image.id(), image.firmwareId(), concurrency, r.activateAt(), actor, meters,
          image.sizeBytes());
    } catch (RuntimeException e) {
      audit.finish(auditId, false, e.getMessage());
      throw e;
    }
    audit.finish(auditId, true, "rollout " + id);
    states.put(id, RolloutState.RUNNING);
    runner.execute(this::passQuietly);
    return view(id, true);
  }

  private List<String> group(Request r) {
    boolean byIds = r.meters() != null;
    boolean byFilter = r.filterText() != null || r.filterTransport() != null;
    if (byIds == byFilter) {
      throw new IllegalArgumentException("give either meters (a list of meter ids) or filter ({\"q\": text in the"
          + " id, \"transport\": tcp|scion|...})");
    }
    List<String> result = new ArrayList<>();
    if (byIds) {
      Set<String> seen = new LinkedHashSet<>();
      for (String m : r.meters()) {
        if (m == null || registry.find(m).isEmpty()) {
          throw new IllegalArgumentException("meters: no meter " + m);
        }
        if (!seen.add(m)) {
          throw new IllegalArgumentException("meters: " + m + " is listed twice");
        }
      }
      result.addAll(seen);
    } else {
      String q = r.filterText() == null ? null : r.filterText().toLowerCase(Locale.ROOT);
      for (MeterSpec spec : registry.all()) {
        String transport = org.s3mp.dlms.transport.MeterUrl.parse(spec.url()).scheme();
        if ((q == null || spec.id().toLowerCase(Locale.ROOT).contains(q))
            && (r.filterTransport() == null || r.filterTransport().equals(transport))) {
          result.add(spec.id());
        }
      }
    }
    if (result.isEmpty()) {
      throw new IllegalArgumentException("the rollout has no meters (none given, or none matches the filter)");
    }
    return result;
  }

  public List<Map<String, Object>> list() {
    return store.all().stream().map(row -> view(row, store.meters(row.id()), false)).toList();
  }

  public Map<String, Object> get(long id) {
    return view(id, true);
  }

  /** Meters not started yet wait; transfers in progress finish. Audited. */
  public Map<String, Object> pause(long id, String actor) {
    return transition(id, actor, "firmware-rollout-pause", RolloutPlan::pause, null);
  }

  public Map<String, Object> resume(long id, String actor) {
    return transition(id, actor, "firmware-rollout-resume", RolloutPlan::resume, null);
  }

  /** Meters not started yet are cancelled, transfers in progress stopped after their current block. Audited. */
  public Map<String, Object> cancel(long id, String actor) {
    return transition(id, actor, "firmware-rollout-cancel", RolloutPlan::cancel, MeterState.CANCELLED);
  }

  private Map<String, Object> transition(long id, String actor, String action,
      java.util.function.UnaryOperator<RolloutState> rule, MeterState pending) {
    store.find(id).orElseThrow(() -> new NoSuchElementException("no rollout " + id));
    long auditId = audit.begin(actor, action, null, "rollout " + id);
    RolloutState now;
    try {
      now = store.transition(id, rule, pending);
    } catch (RuntimeException e) {
      audit.finish(auditId, false, e.getMessage());
      throw e;
    }
    audit.finish(auditId, true, "rollout " + id + " " + now.apiName());
    states.put(id, now);
    runner.execute(this::passQuietly);
    return view(id, true);
  }

  // ------------------------------------------------------------------ the runner

  private void passQuietly() {
    try {
      pass();
    } catch (RuntimeException e) {
      log.warn("firmware rollouts: {}", e.toString());
    }
  }

  /** One pass: start the meters whose turn it is, check scheduled activations, take back orphaned transfers. */
  private void pass() {
    List<RolloutStore.Row> open = store.open();
    if (Duration.between(lastOrphanCheck, Instant.now()).compareTo(Duration.ofSeconds(30)) > 0) {
      requeueStale();
      failRemoved(open);
    }
    Set<Long> openIds = new LinkedHashSet<>();
    for (RolloutStore.Row row : open) {
      openIds.add(row.id());
      states.put(row.id(), row.state());
      for (String meter : store.claim(row.id(), instance, poller::holds)) {
        transfer(row, meter);
      }
      checkedAt.put(row.id(), Instant.now());
    }
    states.keySet().removeIf(id -> !openIds.contains(id) && states.get(id) != RolloutState.CANCELLED);
    checkScheduled();
  }

  private void transfer(RolloutStore.Row row, String meter) {
    String key = row.id() + "/" + meter;
    busy.add(key);
    long auditId = audit.begin("rollout-" + row.id() + " (" + row.createdBy() + ")", "firmware-transfer", meter,
        row.firmwareId() + (row.activateAt() == null ? "" : ", activation at " + row.activateAt()));
    byte[] image;
    try {
      image = contents.computeIfAbsent(row.imageId(), images::content);
    } catch (RuntimeException e) {
      finish(row, meter, MeterState.FAILED, 0, null, e.getMessage(), auditId);
      busy.remove(key);
      return;
    }
    store.update(row.id(), meter, MeterState.TRANSFERRING, 0, null, null, auditId, false);
    Progress progress = new Progress(row.id(), meter, image.length);
    try {
      poller.transferFirmware(meter, image, row.firmwareId(), row.activateAt(), progress)
          .whenComplete((active, error) -> {
            try {
              transferred(row, meter, image.length, active, error, auditId);
            } finally {
              busy.remove(key);
              runner.execute(this::passQuietly); // the next meter starts without waiting for the next tick
            }
          });
    } catch (RuntimeException e) { // the meter's lease moved or it was removed meanwhile
      transferred(row, meter, image.length, null, e, auditId);
      busy.remove(key);
    }
  }

  private void transferred(RolloutStore.Row row, String meter, long total, String active, Throwable error,
      long auditId) {
    Throwable e = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
    if (stopping && e != null) {
      // left in flight: the next start of this instance (or the meter's next holder) transfers it again
      audit.finish(auditId, false, "interrupted: the head-end stopped; the transfer starts again after its restart");
      return;
    }
    if (e == null) {
      if (row.activateAt() != null) {
        finish(row, meter, MeterState.SCHEDULED, total, active, null, auditId);
      } else if (row.firmwareId().equals(active)) {
        finish(row, meter, MeterState.ACTIVE, total, active, null, auditId);
      } else {
        finish(row, meter, MeterState.FAILED, total, active, "the meter reports firmware " + active
            + " after activating " + row.firmwareId(), auditId);
      }
    } else if (e instanceof MeterElsewhereException) {
      finish(row, meter, MeterState.PENDING, 0, null, null, auditId); // its new holder transfers
    } else if (e instanceof FirmwareRefusedException refused) {
      finish(row, meter, RolloutPlan.afterRefusal(refused.kind()), 0, null, refused.getMessage(), auditId);
    } else {
      finish(row, meter, MeterState.FAILED, 0, null, e.getMessage() == null ? e.toString() : e.getMessage(),
          auditId);
    }
  }

  private void finish(RolloutStore.Row row, String meter, MeterState state, long bytes, String firmwareId,
      String reason, Long auditId) {
    store.update(row.id(), meter, state, bytes, firmwareId, reason, auditId, true);
    if (auditId != null) {
      boolean ok = state == MeterState.ACTIVE || state == MeterState.SCHEDULED;
      audit.finish(auditId, ok, state.apiName() + (firmwareId == null ? "" : ", active firmware " + firmwareId)
          + (reason == null ? "" : ": " + reason));
    }
    log.info("rollout {}: meter {} {}{}", row.id(), meter, state.apiName(), reason == null ? "" : " (" + reason + ")");
  }

  /** Scheduled activations whose time has come: the meter's active firmware id tells whether it happened. */
  private void checkScheduled() {
    Instant now = Instant.now();
    for (RolloutStore.MeterRow m : store.scheduled()) {
      String key = m.rolloutId() + "/" + m.meterId();
      if (!poller.holds(m.meterId()) || busy.contains(key)) {
        continue;
      }
      RolloutStore.Row row = store.find(m.rolloutId()).orElse(null);
      if (row == null || row.activateAt() == null || now.isBefore(row.activateAt().plusSeconds(1))) {
        continue;
      }
      busy.add(key);
      poller.readFirmwareId(m.meterId()).whenComplete((active, error) -> {
        try {
          if (error == null && row.firmwareId().equals(active)) {
            finish(row, m.meterId(), MeterState.ACTIVE, m.bytesTotal(), active, null, m.auditId());
          } else if (error == null && Instant.now().isAfter(row.activateAt().plus(Duration.ofMinutes(2)))) {
            // the meter activates within a second of the time; two minutes later it rolled back (start check)
            finish(row, m.meterId(), MeterState.ROLLED_BACK, m.bytesTotal(), active, "the meter still reports "
                + active + " two minutes after the activation time (its start check failed)", null);
          } else if (error == null) {
            store.update(row.id(), m.meterId(), MeterState.SCHEDULED, m.bytesTotal(), active, null, null, false);
          }
        } finally {
          busy.remove(key);
        }
      });
    }
  }

  /** Pending meters removed from the fleet since the rollout was created: no instance would ever claim them. */
  private void failRemoved(List<RolloutStore.Row> open) {
    if (open.isEmpty()) {
      return;
    }
    Set<String> known = new java.util.HashSet<>();
    registry.all().forEach(spec -> known.add(spec.id()));
    for (RolloutStore.Row row : open) {
      for (RolloutStore.MeterRow m : store.meters(row.id())) {
        if (m.state() == MeterState.PENDING && !known.contains(m.meterId())) {
          finish(row, m.meterId(), MeterState.FAILED, 0, null, "the meter was removed from the head-end", null);
        }
      }
    }
  }

  /** At start: transfers this instance (or, on H2, any instance) was in the middle of start again. */
  private void requeueOrphans() {
    for (RolloutStore.MeterRow m : store.orphaned(instance, Instant.now().minus(STALE))) {
      requeue(m);
    }
    lastOrphanCheck = Instant.now();
  }

  /** Transfers of another instance that stopped writing progress (it died): pending again, for the holder. */
  private void requeueStale() {
    for (RolloutStore.MeterRow m : store.orphaned(instance, Instant.now().minus(STALE))) {
      if (!busy.contains(m.rolloutId() + "/" + m.meterId()) && !instance.equals(m.instance())) {
        requeue(m);
      }
    }
    lastOrphanCheck = Instant.now();
  }

  private void requeue(RolloutStore.MeterRow m) {
    if (store.update(m.rolloutId(), m.meterId(), MeterState.PENDING, 0, null,
        "the head-end instance " + m.instance() + " stopped during the transfer; it starts again", null, true)) {
      if (m.auditId() != null) {
        audit.finish(m.auditId(), false, "interrupted: head-end instance " + m.instance() + " stopped; the transfer"
            + " starts again");
      }
      log.info("rollout {}: meter {} was {} on {}: pending again", m.rolloutId(), m.meterId(),
          m.state().apiName(), m.instance());
    }
  }

  /** Writes a transfer's progress now and then (each 5 % or 2 s), and stops it once its rollout is cancelled. */
  private final class Progress implements FirmwareProgress {
    private final long rollout;
    private final String meter;
    private final long total;
    private long written;
    private long writtenAt = System.nanoTime();

    Progress(long rollout, String meter, long total) {
      this.rollout = rollout;
      this.meter = meter;
      this.total = total;
    }

    @Override
    public boolean sent(long bytes, long all) {
      if (stopping || !RolloutPlan.keepsTransferring(states.getOrDefault(rollout, RolloutState.RUNNING))) {
        return false;
      }
      long now = System.nanoTime();
      if (bytes - written >= total / 20 || now - writtenAt > TimeUnit.SECONDS.toNanos(2)) {
        written = bytes;
        writtenAt = now;
        store.update(rollout, meter, MeterState.TRANSFERRING, bytes, null, null, null, false);
      }
      return true;
    }

    @Override
    public void step(String step) {
      store.update(rollout, meter, RolloutPlan.forStep(step), total, null, null, null, false);
    }
  }

  // ------------------------------------------------------------------ views

  private Map<String, Object> view(long id, boolean withMeters) {
    RolloutStore.Row row = store.find(id).orElseThrow(() -> new NoSuchElementException("no rollout " + id));
    return view(row, store.meters(id), withMeters);
  }

  private Map<String, Object> view(RolloutStore.Row row, List<RolloutStore.MeterRow> meters, boolean withMeters) {
    Map<String, Object> json = new LinkedHashMap<>();
    json.put("id", row.id());
    json.put("imageId", row.imageId());
    json.put("firmwareId", row.firmwareId());
    json.put("concurrency", row.concurrency());
    json.put("activateAt", row.activateAt());
    json.put("state", row.state().apiName());
    json.put("createdBy", row.createdBy());
    json.put("createdAt", row.createdAt());
    json.put("updatedAt", row.updatedAt());
    json.put("checkedAt", checkedAt.get(row.id()));
    Map<String, Integer> counts = new LinkedHashMap<>();
    for (MeterState s : MeterState.values()) {
      counts.put(s.apiName(), 0);
    }
    meters.forEach(m -> counts.merge(m.state().apiName(), 1, Integer::sum));
    json.put("meterCount", meters.size());
    json.put("counts", counts);
    if (withMeters) {
      json.put("meters", meters.stream().map(Rollouts::meterJson).toList());
    }
    return json;
  }

  private static Map<String, Object> meterJson(RolloutStore.MeterRow m) {
    Map<String, Object> json = new LinkedHashMap<>();
    json.put("meterId", m.meterId());
    json.put("state", m.state().apiName());
    json.put("bytesDone", m.bytesDone());
    json.put("bytesTotal", m.bytesTotal());
    json.put("firmwareId", m.firmwareId());
    json.put("reason", m.reason());
    json.put("instance", m.instance());
    json.put("auditId", m.auditId());
    json.put("startedAt", m.startedAt());
    json.put("finishedAt", m.finishedAt());
    json.put("updatedAt", m.updatedAt());
    return json;
  }

  private static Map<String, Object> imageJson(FirmwareImages.Info i) {
    Map<String, Object> json = new LinkedHashMap<>();
    json.put("id", i.id());
    json.put("firmwareId", i.firmwareId());
    json.put("sizeBytes", i.sizeBytes());
    json.put("payloadSha256", i.payloadSha256());
    json.put("signer", i.signer());
    json.put("uploadedBy", i.uploadedBy());
    json.put("uploadedAt", i.uploadedAt());
    return json;
  }
}
