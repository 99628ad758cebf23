package org.s3mp.headend;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.s3mp.headend.auth.TokenStore;
import org.s3mp.headend.storage.Database;

/**
 * A real head-end process polling real meters while its storage is stuck (every insert held, see
 * {@link org.s3mp.headend.storage.SlowStorage}): the queue stays at its capacity and the meters' sessions wait.
 * SIGTERM then stops polling (storage now slow rather than stuck) and drains the queue before the database closes:
 * every reading the head-end took is in the database afterwards.
 */
class DrainOnStopIT {

  static final String TOKEN = "viewer-token-of-the-drain-on-stop-test-01";
  static final int CAPACITY = 20;
  static final int METERS = 3;

  @TempDir Path dir;
  @RegisterExtension final Running running = new Running();

  @Test
  void sigtermStoresEveryReadingTaken() throws Exception {
    StringBuilder meters = new StringBuilder();
    for (int i = 1; i <= METERS; i++) {
      String id = "m" + i;
      RealMeters.Meter meter = RealMeters.start(dir, id, RealMeters.keys(dir, id), 900, i);
      running.add(meter);
      meters.append("""
            - id: %s
              url: %s
              keysFile: %s.keys
              pollSeconds: 1
          """.formatted(id, meter.url(), id));
    }
    Path config = dir.resolve("headend.yaml");
    Files.writeString(config, """
        http:
          bind: 127.0.0.1:0
        keysDirectory: .
        database:
          url: db/headend
          queueCapacity: %d
        tokens:
          - name: drain
            role: viewer
            sha256: %s
        meters:
        %s""".formatted(CAPACITY, TokenStore.sha256(TOKEN), meters));
    Path log = dir.resolve("headend.log");
    ChildProcess headend = HeadendProcessMain.start(dir, config, "headend", "--slow-storage");
    running.add(headend);
    Http http = new Http(HeadendProcessMain.baseUri(headend));

    // backpressure: a batch held in the writer, the queue full, every session waiting to queue its next one
    Conditions.await("all " + METERS + " sessions waiting for storage", Duration.ofSeconds(45),
        () -> metric(http, "headend_readings_waiting") == METERS);
    assertThat(metric(http, "headend_readings_queued")).isEqualTo(CAPACITY);
    assertThat(metric(http, "headend_readings_stored_total")).isZero();
    // every reading taken is being written (the held batch), queued or waiting: no meter read on
    assertThat(metric(http, "headend_read_latency_seconds_count"))
        .isEqualTo(metric(http, "headend_readings_backlog") + METERS);

    // a JVM ended by SIGTERM exits with 128 + 15 once its shutdown hooks (the head-end's close) have run
    assertThat(headend.terminate(Duration.ofSeconds(90))).as("exit code after SIGTERM").isEqualTo(143);

    String output = Files.readString(log);
    Matcher stopped = Pattern.compile("head-end stopped: (\\d+) readings taken since start, (\\d+) stored").matcher(output);
    assertThat(stopped.find()).as("the head-end's last words in %s", log).isTrue();
    long taken = Long.parseLong(stopped.group(1));
    assertThat(taken).isGreaterThanOrEqualTo(1 + CAPACITY + METERS);
    assertThat(Long.parseLong(stopped.group(2))).isEqualTo(taken);
    assertThat(output).doesNotContain("NOT stored");
    Matcher drained = Pattern.compile("(\\d+) queued readings stored on drain, none lost").matcher(output);
    assertThat(drained.find()).as("the store's drain in %s", log).isTrue();
    assertThat(Long.parseLong(drained.group(1))).as("readings still queued when polling had stopped").isPositive();
    try (Database db = Database.open(dir.resolve("db/headend").toString(), null, null);
        Connection c = db.connection(); Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT COUNT(*) FROM reading")) {
      rs.next();
      assertThat(rs.getLong(1)).as("readings in the database after the stop").isEqualTo(taken);
    }
  }

  /** One unlabelled sample of /metrics (Prometheus text format). */
  private static double metric(Http http, String name) {
    String body = http.get("/metrics", TOKEN).body();
    return body.lines().filter(l -> l.startsWith(name + " ")).findFirst()
        .map(l -> Double.parseDouble(l.substring(name.length() + 1).trim()))
        .orElseThrow(() -> new AssertionError("no metric " + name + " in /metrics"));
  }
}
