package org.s3mp.headend.storage;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
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
 */
public final class ReadingStore implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(ReadingStore.class);
  private static final int MAX_BATCH = 1000;

  private record Pending(Reading reading, CompletableFuture<Reading> done) {}

  private final Database db;
  private final PathStore paths;
  private final BlockingQueue<Pending> queue = new LinkedBlockingQueue<>();
  private final List<Consumer<Reading>> committedListeners = new java.util.concurrent.CopyOnWriteArrayList<>();
  private final Thread writer;
  private volatile boolean closing;

  public ReadingStore(Database db) {
    this.db = db;
    this.paths = new PathStore(db);
    this.writer = new Thread(this::writeLoop, "reading-writer");
    writer.setDaemon(true);
    writer.start();
  }

  /** The network paths the stored readings took. */
  public PathStore paths() {
    return paths;
  }

  /** Called on the writer thread after each committed reading; keep it quick. */
  public void onCommitted(Consumer<Reading> listener) {
    committedListeners.add(listener);
  }

  /** Queues a reading; the future completes once it is durably stored. */
  public CompletableFuture<Reading> append(Reading reading) {
    Reading r = new Reading(
        reading.meterId(), Database.truncate(reading.readAt()), reading.kind(), reading.relay(),
        reading.latencyMs(), reading.path(), reading.values(), reading.source());
    CompletableFuture<Reading> done = new CompletableFuture<>();
    if (closing) {
      done.completeExceptionally(new IllegalStateException("the reading store is closed"));
      return done;
    }
    queue.add(new Pending(r, done));
    return done;
  }

  private void writeLoop() {
    List<Pending> batch = new ArrayList<>();
    while (!(closing && queue.isEmpty())) {
      try {
        Pending first = queue.poll(200, TimeUnit.MILLISECONDS);
        if (first == null) {
          continue;
        }
        batch.add(first);
        queue.drainTo(batch, MAX_BATCH - 1);
        write(batch);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      } catch (RuntimeException e) {
        log.error("reading writer: {}", e.toString(), e);
      } finally {
        batch.clear();
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
      p.done().complete(p.reading());
    }
  }

  private void insert(List<Reading> readings) throws SQLException {
    Map<Reading, Long> pathIds = new java.util.IdentityHashMap<>();
    for (Reading reading : readings) {
      if (reading.path() != null) {
        pathIds.put(reading, paths.idFor(reading.path()));
      }
    }
    try (Connection c = db.writeConnection()) {
      c.setAutoCommit(false);
      try (PreparedStatement r = c.prepareStatement(
              "INSERT INTO reading (meter_id, read_at, kind, relay, latency_ms, path_id, source)"
                  + " VALUES (?, ?, ?, ?, ?, ?, ?)");
          PreparedStatement v = c.prepareStatement(
              "INSERT INTO reading_value (meter_id, read_at, obis, scaled_value, unit_symbol) VALUES (?, ?, ?, ?, ?)")) {
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
          r.addBatch();
          for (RegisterValue value : reading.values()) {
            v.setString(1, reading.meterId());
            v.setObject(2, Database.toDb(reading.readAt()));
            v.setString(3, value.obis());
            v.setBigDecimal(4, value.value());
            v.setString(5, value.unit());
            v.addBatch();
          }
        }
        r.executeBatch();
        v.executeBatch();
        c.commit();
        db.makeDurable(c);
      } catch (SQLException e) {
        c.rollback();
        throw e;
      }
    }
  }

  /** Readings of one meter in [from, to), oldest first, at most {@code limit} (the newest ones if more). */
  public List<Reading> between(String meterId, Instant from, Instant to, int limit) {
    String sql = "SELECT r.read_at, r.kind, r.relay, r.latency_ms, r.path_id, r.source, v.obis, v.scaled_value, v.unit_symbol"
        + " FROM (SELECT * FROM reading WHERE meter_id = ? AND read_at >= ? AND read_at < ?"
        + " ORDER BY read_at DESC LIMIT ?) r"
        + " LEFT JOIN reading_value v ON v.meter_id = r.meter_id AND v.read_at = r.read_at"
        + " ORDER BY r.read_at, v.obis";
    Map<Instant, Reading> byTime = new LinkedHashMap<>();
    try (Connection c = db.connection();
        PreparedStatement ps = c.prepareStatement(sql)) {
      ps.setString(1, meterId);
      ps.setObject(2, Database.toDb(from));
      ps.setObject(3, Database.toDb(to));
      ps.setInt(4, limit);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          Instant at = Database.fromDb(rs, "read_at");
          Reading reading = byTime.computeIfAbsent(at, t -> {
            try {
              return new Reading(meterId, t, rs.getString("kind"), rs.getString("relay"), rs.getDouble("latency_ms"),
                  path(rs), new ArrayList<>(), rs.getString("source"));
            } catch (SQLException e) {
              throw new IllegalStateException(e);
            }
          });
          if (rs.getString("obis") != null) {
            reading.values().add(new RegisterValue(rs.getString("obis"), plain(rs.getBigDecimal("scaled_value")), rs.getString("unit_symbol")));
          }
        }
      }
    } catch (SQLException e) {
      throw new IllegalStateException("reading readings of " + meterId + ": " + e.getMessage(), e);
    }
    return List.copyOf(byTime.values());
  }

  /** Readings queued but not yet committed (the writer's backlog). */
  public int backlog() {
    return queue.size();
  }

  /**
   * Writes what is queued (for at most 30 s), then stops the writer; readings still queued after that were never
   * acknowledged and their futures fail.
   */
  @Override
  public void close() {
    closing = true;
    try {
      writer.join(30_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    writer.interrupt();
    Pending p;
    int dropped = 0;
    while ((p = queue.poll()) != null) {
      p.done().completeExceptionally(new IllegalStateException("the head-end stopped before this reading was stored"));
      dropped++;
    }
    if (dropped > 0) {
      log.warn("{} queued readings were not stored (not acknowledged) at shutdown", dropped);
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
