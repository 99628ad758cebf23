package org.s3mp.headend.storage;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.math.BigDecimal;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.s3mp.headend.Conditions;
import org.s3mp.headend.fleet.Reading;
import org.s3mp.headend.fleet.RegisterValue;

/** The bounded queue in front of the writer, against a database whose inserts are held up ({@link SlowStorage}). */
class ReadingStoreTest {

  static final int CAPACITY = 10;

  @TempDir Path dir;
  Database db;
  SimpleMeterRegistry metrics = new SimpleMeterRegistry();
  ReadingStore store;
  final List<Thread> appenders = new ArrayList<>();

  @BeforeEach
  void open() throws Exception {
    db = Database.open(dir.resolve("db").toString(), null, null);
    SlowStorage.install(db);
    store = new ReadingStore(db, CAPACITY, metrics);
  }

  @AfterEach
  void close() throws Exception {
    SlowStorage.open();
    store.close();
    for (Thread t : appenders) {
      t.join(10_000);
    }
    db.close();
  }

  @Test
  void aFullQueueMakesAppendsWaitAndNeverGrowsPastItsCapacity() throws Exception {
    List<CompletableFuture<Reading>> futures = new ArrayList<>();
    futures.add(store.append(reading("m0", 0)));
    // the writer has taken the first reading and is stuck in its insert
    Conditions.await("the writer held up in the database", Duration.ofSeconds(10), () -> SlowStorage.held() == 1);
    for (int i = 1; i <= CAPACITY; i++) {
      futures.add(store.append(reading("m" + i, i)));
    }
    assertThat(gauge("headend.readings.queued")).isEqualTo(CAPACITY);
    assertThat(metrics.get("headend.readings.backpressure").counter().count()).isZero();

    // three more appends: each must wait, none may enter the queue
    List<CompletableFuture<CompletableFuture<Reading>>> blocked = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      int n = CAPACITY + 1 + i;
      CompletableFuture<CompletableFuture<Reading>> appended = new CompletableFuture<>();
      Thread t = new Thread(() -> appended.complete(store.append(reading("m" + n, n))), "appender-" + n);
      appenders.add(t);
      t.start();
      blocked.add(appended);
    }
    Conditions.await("3 appends waiting", Duration.ofSeconds(10), () -> gauge("headend.readings.waiting") == 3);
    assertThat(metrics.get("headend.readings.backpressure").counter().count()).isEqualTo(3);
    assertThat(blocked).as("append returns only once there is space").noneMatch(CompletableFuture::isDone);
    assertThat(gauge("headend.readings.queued")).isEqualTo(CAPACITY);
    assertThat(store.backlog()).isEqualTo(CAPACITY + 1);
    assertThat(gauge("headend.readings.queue.capacity")).isEqualTo(CAPACITY);
    assertThat(futures).noneMatch(CompletableFuture::isDone);

    SlowStorage.open();
    for (CompletableFuture<CompletableFuture<Reading>> b : blocked) {
      futures.add(b.get(10, TimeUnit.SECONDS));
    }
    for (CompletableFuture<Reading> f : futures) {
      f.get(10, TimeUnit.SECONDS);
    }
    assertThat(gauge("headend.readings.waiting")).isZero();
    assertThat(metrics.get("headend.readings.stored").counter().count()).isEqualTo(CAPACITY + 4);
    assertThat(rows()).isEqualTo(CAPACITY + 4);
  }

  @Test
  void closeStoresEverythingQueuedWaitingAndInFlight() throws Exception {
    List<CompletableFuture<Reading>> futures = new ArrayList<>();
    futures.add(store.append(reading("m0", 0)));
    Conditions.await("the writer held up in the database", Duration.ofSeconds(10), () -> SlowStorage.held() == 1);
    for (int i = 1; i <= CAPACITY; i++) {
      futures.add(store.append(reading("m" + i, i)));
    }
    CompletableFuture<CompletableFuture<Reading>> waiter = new CompletableFuture<>();
    Thread t = new Thread(() -> waiter.complete(store.append(reading("late", 99))), "appender-late");
    appenders.add(t);
    t.start();
    Conditions.await("an append waiting", Duration.ofSeconds(10), () -> gauge("headend.readings.waiting") == 1);

    Thread closer = new Thread(store::close, "closer");
    closer.start();
    Conditions.await("close() waiting for the drain", Duration.ofSeconds(10),
        () -> closer.getState() == Thread.State.TIMED_WAITING);
    SlowStorage.open();
    closer.join(30_000);
    assertThat(closer.isAlive()).isFalse();
    assertThat(store.append(reading("after-close", 100))).as("refused once closed").isCompletedExceptionally();

    futures.add(waiter.get(10, TimeUnit.SECONDS));
    for (CompletableFuture<Reading> f : futures) {
      assertThat(f).as("acknowledged by the drain").isCompleted();
      f.get();
    }
    assertThat(rows()).as("the batch in flight, the queue and the waiting append all stored").isEqualTo(CAPACITY + 2);
  }

  private double gauge(String name) {
    return metrics.get(name).gauge().value();
  }

  private long rows() throws Exception {
    try (Connection c = db.connection(); Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT COUNT(*) FROM reading")) {
      rs.next();
      return rs.getLong(1);
    }
  }

  private static Reading reading(String meter, int n) {
    return new Reading(meter, Instant.parse("2026-01-01T00:00:00Z").plusSeconds(n), "poll", "connected", 1.0, null,
        List.of(new RegisterValue("1.0.1.8.0.255", BigDecimal.valueOf(1000 + n), "Wh")));
  }
}
