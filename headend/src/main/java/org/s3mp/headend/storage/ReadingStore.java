package org.s3mp.headend.storage;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.s3mp.headend.fleet.NetworkPath;
import org.s3mp.headend.fleet.Reading;
import org.s3mp.headend.fleet.RegisterValue;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Readings and their values. Writes go through one writer thread that commits whatever has queued up in one
 * transaction (group commit): many meters at 1 s cost few commits, and a reading counts as stored - its
 * future completes, listeners see it - only after its transaction committed.
 *
 * <p>The queue in front of the writer is bounded: when storage falls behind, {@link #append} waits for space, so
 * the meters' sessions (which call it) poll more slowly instead of the backlog growing without bound.
 */
public final class ReadingStore implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(ReadingStore.class);
  private static final int MAX_BATCH = 1000;
  public static final int DEFAULT_QUEUE_CAPACITY = 5000;
  /** How long {@link #close()} lets the writer drain the queue before giving up on what is left. */
  static final java.time.Duration DRAIN_TIMEOUT = java.time.Duration.ofSeconds(60);

  private record Pending(Reading reading, CompletableFuture<Reading> done) {}

  private final Database db;
  private final PathStore paths;
  private final RegisterSets registerSets;
  /** PostgreSQL: the partitions by day of {@code reading}; null on H2. */
  private final ReadingPartitions partitions;
  /** PostgreSQL: batches go in by COPY (see {@link ReadingCopy}). */
  private final boolean copy;
  private final int capacity;
  private final BlockingQueue<Pending> queue;
  private final List<Consumer<Reading>> committedListeners = new java.util.concurrent.CopyOnWriteArrayList<>();
  private final List<AlsoWritten> alsoWritten = new java.util.concurrent.CopyOnWriteArrayList<>();
  private final Thread writer;
  private final Counter stored;
  private final Counter backpressure;
  private final AtomicInteger waiting = new AtomicInteger();
  /** Appends in progress (waiting for space or not). */
  private final AtomicInteger appending = new AtomicInteger();
  /** Readings taken from the queue by the writer and not yet committed or failed. */
  private final AtomicInteger inFlight = new AtomicInteger();
  private final AtomicLong failed = new AtomicLong();
  private volatile boolean closing;

  public ReadingStore(Database db) {
    this(db, DEFAULT_QUEUE_CAPACITY, new SimpleMeterRegistry());
  }

  /** A store whose queue holds at most {@code capacity} readings; its metrics go to {@code metrics}. */
  public ReadingStore(Database db, int capacity, MeterRegistry metrics) {
    if (capacity < 1) {
      throw new IllegalArgumentException("database.queueCapacity: at least 1, got " + capacity);
    }
    this.db = db;
    this.paths = new PathStore(db);
    this.registerSets = new RegisterSets(db);
    this.partitions = db.shared() ? new ReadingPartitions(db) : null;
    this.copy = db.shared();
    this.capacity = capacity;
    this.queue = new LinkedBlockingQueue<>(capacity);
    Gauge.builder("headend.readings.queued", queue, BlockingQueue::size)
        .description("readings queued for the database writer").register(metrics);
    Gauge.builder("headend.readings.queue.capacity", this, s -> s.capacity)
        .description("readings the writer's queue holds at most").register(metrics);
    Gauge.builder("headend.readings.waiting", waiting, AtomicInteger::get)
        .description("appends waiting for space in the full queue").register(metrics);
    this.stored = Counter.builder("headend.readings.stored").description("readings committed to the database")
        .register(metrics);
    this.backpressure = Counter.builder("headend.readings.backpressure")
        .description("appends that found the queue full and had to wait").register(metrics);
    this.writer = new Thread(this::writeLoop, "reading-writer");
    writer.setDaemon(true);
    writer.start();
  }

  /** The network paths the stored readings took. */
  public PathStore paths() {
    return paths;
  }

  /** State that must be durable no later than the readings (the push counters): written in their transactions. */
  public interface AlsoWritten {
    /** Writes into the readings' transaction; returns what it wrote (for {@link #committed}), or null. */
    Object write(Connection c) throws SQLException;

    /** The transaction with {@code written} committed. */
    void committed(Object written);
  }

  /** Writes {@code part} in every transaction that stores readings, from now on. */
  public void writeAlso(AlsoWritten part) {
    alsoWritten.add(part);
  }

  /** Called on the writer thread after each committed reading; keep it quick. */
  public void onCommitted(Consumer<Reading> listener) {
    committedListeners.add(listener);
  }

  /**
   * Queues a reading, waiting while the queue is full (backpressure); the future completes once it is durably
   * stored. It fails at once when the store is closing or the waiting thread is interrupted.
   */
  public CompletableFuture<Reading> append(Reading reading) {
    Reading r = new Reading(
        reading.meterId(), Database.truncate(reading.readAt()), reading.kind(), reading.relay(),
        reading.latencyMs(), reading.path(), reading.values(), reading.source());
    CompletableFuture<Reading> done = new CompletableFuture<>();
    Pending pending = new Pending(r, done);
    // counted before `closing` is read: the writer does not stop while an append may still put its reading in
    appending.incrementAndGet();
    try {
      if (closing) {
        return refused(pending, "the reading store is closed");
      }
      if (!queue.offer(pending)) {
        awaitSpace(pending);
      }
      return done;
    } finally {
      appending.decrementAndGet();
    }
  }

  private void awaitSpace(Pending pending) {
    backpressure.increment();
    waiting.incrementAndGet();
    try {
      // in slices, so that a writer that stopped (close() timed out) is noticed; a close() itself still drains
      // the readings waiting here
      while (!queue.offer(pending, 100, TimeUnit.MILLISECONDS)) {
        if (closing && !writer.isAlive()) {
          refused(pending, "the reading store closed while this reading waited for space");
          return;
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      refused(pending, "interrupted while waiting for space in the reading queue");
    } finally {
      waiting.decrementAndGet();
    }
  }

  private CompletableFuture<Reading> refused(Pending p, String why) {
    log.warn("reading of {} at {} not stored: {}", p.reading().meterId(), p.reading().readAt(), why);
    failed.incrementAndGet();
    p.done().completeExceptionally(new IllegalStateException(why));
    return p.done();
  }

  private void writeLoop() {
    List<Pending> batch = new ArrayList<>();
    // appending before queue: an append's reading is in the queue before it stops counting
    while (!(closing && appending.get() == 0 && queue.isEmpty())) {
      try {
        Pending first = queue.poll(200, TimeUnit.MILLISECONDS);
        if (first == null) {
          continue;
        }
        batch.add(first);
        queue.drainTo(batch, MAX_BATCH - 1);
        inFlight.set(batch.size());
        write(batch);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      } catch (RuntimeException e) {
        log.error("reading writer: {}", e.toString(), e);
        for (Pending p : batch) {
          if (!p.done().isDone()) {
            failed.incrementAndGet();
            p.done().completeExceptionally(e);
          }
        }
      } finally {
        batch.clear();
        inFlight.set(0);
      }
    }
  }

  private void write(List<Pending> batch) {
    try {
      insert(batch.stream().map(Pending::reading).toList());
    } catch (SQLException e) {
      // one bad reading (e.g. a duplicate key) must not sink the others: store them one by one
      for (Pending p : batch) {
        try {
          insert(List.of(p.reading()));
        } catch (SQLException single) {
          log.warn("reading of {} at {} not stored: {}", p.reading().meterId(), p.reading().readAt(), single.getMessage());
          failed.incrementAndGet();
          p.done().completeExceptionally(single);
        }
      }
    }
    for (Pending p : batch) {
      if (p.done().isDone()) {
        continue;
      }
      for (Consumer<Reading> l : committedListeners) {
        try {
          l.accept(p.reading());
        } catch (RuntimeException e) {
          log.warn("reading listener failed: {}", e.toString());
        }
      }
      stored.increment();
      p.done().complete(p.reading());
    }
  }

  private void insert(List<Reading> readings) throws SQLException {
    Map<Reading, Long> pathIds = new java.util.IdentityHashMap<>();
    Map<Reading, Compact> compact = new java.util.IdentityHashMap<>();
    for (Reading reading : readings) {
      if (reading.path() != null) {
        pathIds.put(reading, paths.idFor(reading.path()));
      }
      compact.put(reading, compact(reading));
    }
    if (partitions != null) {
      partitions.ensureFor(readings.stream().map(Reading::readAt).toList());
    }
    List<Object> written = db.inWriteTransaction(c -> {
      if (copy) {
        ReadingCopy.copy(c, readings, pathIds, r -> compact.get(r).setId(), r -> compact.get(r).values());
      } else {
        insertBatch(c, readings, pathIds, compact);
      }
      List<Object> also = new ArrayList<>(alsoWritten.size());
      for (AlsoWritten part : alsoWritten) {
        also.add(part.write(c));
      }
      return also;
    });
    for (int i = 0; i < written.size(); i++) {
      alsoWritten.get(i).committed(written.get(i));
    }
  }

  /** A reading's values as stored: its register set and the values in the set's order (null: no values). */
  private record Compact(Long setId, BigDecimal[] values) {}

  private Compact compact(Reading reading) throws SQLException {
    if (reading.values().isEmpty()) {
      return new Compact(null, null);
    }
    List<RegisterValue> sorted = new ArrayList<>(reading.values());
    sorted.sort(java.util.Comparator.comparing(RegisterValue::obis));
    List<RegisterSets.Register> set = new ArrayList<>(sorted.size());
    BigDecimal[] values = new BigDecimal[sorted.size()];
    for (int i = 0; i < sorted.size(); i++) {
      RegisterValue v = sorted.get(i);
      if (i > 0 && v.obis().equals(sorted.get(i - 1).obis())) {
        throw new SQLException("register " + v.obis() + " twice in one reading");
      }
      set.add(new RegisterSets.Register(v.obis(), v.unit()));
      values[i] = v.value();
    }
    return new Compact(registerSets.idFor(set), values);
  }

  private static void insertBatch(Connection c, List<Reading> readings, Map<Reading, Long> pathIds,
      Map<Reading, Compact> compact) throws SQLException {
    try (PreparedStatement r = c.prepareStatement(
        "INSERT INTO reading (meter_id, read_at, kind, relay, latency_ms, path_id, source, register_set_id,"
            + " register_values) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
      for (Reading reading : readings) {
        r.setString(1, reading.meterId());
        r.setObject(2, Database.toDb(reading.readAt()));
        r.setString(3, reading.kind());
        r.setString(4, reading.relay());
        r.setDouble(5, reading.latencyMs());
        Long pathId = pathIds.get(reading);
        if (pathId == null) {
          r.setNull(6, java.sql.Types.BIGINT);
        } else {
          r.setLong(6, pathId);
        }
        r.setString(7, reading.source());
        Compact values = compact.get(reading);
        if (values.setId() == null) {
          r.setNull(8, java.sql.Types.BIGINT);
          r.setNull(9, java.sql.Types.ARRAY);
        } else {
          r.setLong(8, values.setId());
          r.setArray(9, c.createArrayOf("numeric", values.values()));
        }
        r.addBatch();
      }
      r.executeBatch();
    }
  }

  /** Readings of one meter in [from, to), oldest first, at most {@code limit} (the newest ones if more). */
  public List<Reading> between(String meterId, Instant from, Instant to, int limit) {
    String sql = "SELECT read_at, kind, relay, latency_ms, path_id, source, register_set_id, register_values"
        + " FROM reading WHERE meter_id = ? AND read_at >= ? AND read_at < ? ORDER BY read_at DESC LIMIT ?";
    List<Reading> newestFirst = new ArrayList<>();
    try (Connection c = db.connection();
        PreparedStatement ps = c.prepareStatement(sql)) {
      ps.setString(1, meterId);
      ps.setObject(2, Database.toDb(from));
      ps.setObject(3, Database.toDb(to));
      ps.setInt(4, limit);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          newestFirst.add(new Reading(meterId, Database.fromDb(rs, "read_at"), rs.getString("kind"),
              rs.getString("relay"), rs.getDouble("latency_ms"), path(rs), values(rs), rs.getString("source")));
        }
      }
    } catch (SQLException e) {
      throw new IllegalStateException("reading readings of " + meterId + ": " + e.getMessage(), e);
    }
    java.util.Collections.reverse(newestFirst);
    return List.copyOf(newestFirst);
  }

  private List<RegisterValue> values(ResultSet rs) throws SQLException {
    long setId = rs.getLong("register_set_id");
    if (rs.wasNull()) {
      return new ArrayList<>();
    }
    java.sql.Array array = rs.getArray("register_values");
    Object[] values = array == null ? new Object[0] : (Object[]) array.getArray();
    List<RegisterSets.Register> set = registerSets.byId(setId);
    if (values.length != set.size()) {
      throw new SQLException("a reading has " + values.length + " values for the " + set.size()
          + " registers of its register set " + setId);
    }
    List<RegisterValue> out = new ArrayList<>(set.size());
    for (int i = 0; i < values.length; i++) {
      out.add(new RegisterValue(set.get(i).obis(), plain((BigDecimal) values[i]), set.get(i).unit()));
    }
    return out;
  }

  /** Readings queued or being written but not yet committed (the writer's backlog). */
  public int backlog() {
    return queue.size() + inFlight.get();
  }

  /** The most readings the queue holds. */
  public int capacity() {
    return capacity;
  }

  /**
   * Refuses new readings, writes everything queued, waiting for space or in flight (for at most
   * {@link #DRAIN_TIMEOUT}),
   * then stops the writer and logs how many were stored on the way out. Readings that could not be stored (the
   * database failed, or the drain ran out of time) were never acknowledged: their futures fail and the log says
   * how many and why. Close the store before the database.
   */
  @Override
  public void close() {
    closing = true;
    int toDrain = backlog() + waiting.get();
    double storedBefore = stored.count();
    long failedBefore = failed.get();
    try {
      writer.join(DRAIN_TIMEOUT.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    boolean timedOut = writer.isAlive();
    if (timedOut) {
      writer.interrupt();
    }
    // only after a timeout: fail what is left, never leave a future pending
    int abandoned = 0;
    Pending p;
    while ((p = queue.poll()) != null) {
      p.done().completeExceptionally(new IllegalStateException("the head-end stopped before this reading was stored"
          + (timedOut ? " (the drain timed out after " + DRAIN_TIMEOUT.toSeconds() + " s)" : "")));
      abandoned++;
    }
    failed.addAndGet(abandoned);
    long drained = (long) (stored.count() - storedBefore);
    long notStored = failed.get() - failedBefore;
    if (toDrain == 0 && notStored == 0) {
      return;
    }
    if (notStored == 0 && !timedOut) {
      log.info("reading store closed: {} queued readings stored on drain, none lost", drained);
    } else {
      log.error("reading store closed: {} queued readings stored on drain, {} NOT stored ({}; see the warnings above"
              + " for database errors), {} still being written", drained, notStored,
          timedOut ? "the drain timed out after " + DRAIN_TIMEOUT.toSeconds() + " s with " + abandoned
              + " still queued" : "the database refused them or the store was closing",
          timedOut ? inFlight.get() : 0);
    }
  }

  private NetworkPath path(ResultSet rs) throws SQLException {
    long id = rs.getLong("path_id");
    return rs.wasNull() ? null : paths.byId(id);
  }

  private static java.math.BigDecimal plain(java.math.BigDecimal v) {
    return v == null ? null : v.stripTrailingZeros();
  }
}
