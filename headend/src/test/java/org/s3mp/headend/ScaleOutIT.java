package org.s3mp.headend;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.s3mp.headend.auth.TokenStore;
import org.s3mp.headend.fleet.MeterInput;
import org.s3mp.headend.storage.LocalPostgres;

/**
 * Two head-end processes on one real PostgreSQL share six real simulated meters by leases: both read meters, a
 * command, a read-now, a clock read and set and a push settings read sent to one instance reach a meter the other
 * holds exactly once (and are audited once), and after kill -9 of one instance the other reads every meter again
 * within 15 s, no meter ever polled by both. A command whose instance is killed while running it fails once,
 * saying so, and is not sent again; each instance judges the alarms of its own meters only, and an open alarm
 * stays the one open alarm when its meter moves to the other instance.
 */
class ScaleOutIT {

  static final String TOKEN = "operator-token-of-the-scale-out-test-0001";
  static final int METERS = 6;
  static final int POLL_SECONDS = 1;

  @TempDir Path dir;
  @RegisterExtension final Running running = new Running();

  @Test
  void twoInstancesSplitTheFleetTakeOverAfterKillAndRunCommandsOnce() throws Exception {
    LocalPostgres pg = LocalPostgres.start();
    running.add(pg);
    MeterFleet fleet = new MeterFleet(dir, METERS, 1, "256m");
    running.add(fleet);
    Path config = config(pg, fleet.meters(), 3000);

    ChildProcess a = HeadendProcessMain.start(dir, config, "headend-a", "--instance", "a");
    running.add(a);
    ChildProcess b = HeadendProcessMain.start(dir, config, "headend-b", "--instance", "b");
    running.add(b);
    Http httpA = new Http(HeadendProcessMain.baseUri(a));
    Http httpB = new Http(HeadendProcessMain.baseUri(b));
    assertThat(httpB.get("/health", null).json().get("instance").asText()).isEqualTo("b");

    try (Connection db = DriverManager.getConnection(pg.url())) {
      // 1. the instances split the fleet, and both read their meters
      awaitSplit(db, Map.of("a", 3L, "b", 3L));
      Timestamp split = now(db);
      Conditions.await("every meter read after the split", Duration.ofSeconds(30),
          () -> metersReadSince(db, split) == METERS);
      // the API of either instance shows the whole fleet with what the holders read
      Conditions.await("instance b's API shows all meters as read", Duration.ofSeconds(30), () -> {
        JsonNode list = httpB.get("/api/meters", TOKEN).json();
        int read = 0;
        for (JsonNode m : list) {
          read += m.hasNonNull("lastReadingAt") ? 1 : 0;
        }
        return list.size() == METERS && read == METERS;
      });

      // 2. commands accepted by b for a meter a holds reach it once, audited once
      String meter = heldBy(db, "a").get(0);
      String text = "scale-out once " + System.nanoTime() % 100000;
      Http.Response message = httpB.post("/api/meters/" + meter + "/message", TOKEN,
          "{\"text\":\"" + text + "\"}");
      assertThat(message.status()).as(message.body()).isEqualTo(200);
      assertThat(message.json().get("text").asText()).isEqualTo(text);
      assertThat(message.json().get("confirmed").asBoolean()).isTrue();
      Http.Response disconnect = httpB.post("/api/meters/" + meter + "/disconnect", TOKEN, null);
      assertThat(disconnect.status()).as(disconnect.body()).isEqualTo(200);
      assertThat(disconnect.json().get("relay").asText()).isEqualTo("disconnected");
      assertThat(audited(httpA, meter, "message")).isEqualTo(1);
      assertThat(audited(httpA, meter, "disconnect")).isEqualTo(1);
      // the meter itself showed the text once (its display logs every text it is given)
      assertThat(Files.readAllLines(dir.resolve("meters-0.log")).stream()
          .filter(l -> l.contains("display: \"" + text + "\"")).count()).isEqualTo(1);
      assertThat(httpB.post("/api/meters/" + meter + "/reconnect", TOKEN, null).json().get("relay").asText())
          .isEqualTo("connected");

      // reads, the clock and the push settings of a meter a holds, asked of b, are run by a once
      Http.Response read = httpB.post("/api/meters/" + meter + "/read", TOKEN, null);
      assertThat(read.status()).as(read.body()).isEqualTo(200);
      assertThat(read.json().get("meterId").asText()).isEqualTo(meter);
      assertThat(read.json().get("kind").asText()).isEqualTo("once");
      assertThat(read.json().get("values")).isNotEmpty();
      assertThat(readingsOfKind(db, meter, "once")).as("stored once, by the holder").isEqualTo(1);
      Http.Response clock = httpB.get("/api/meters/" + meter + "/clock", TOKEN);
      assertThat(clock.status()).as(clock.body()).isEqualTo(200);
      assertThat(clock.json().get("driftSeconds").isNumber()).isTrue();
      Http.Response clockSet = httpB.post("/api/meters/" + meter + "/clock", TOKEN, null);
      assertThat(clockSet.status()).as(clockSet.body()).isEqualTo(200);
      assertThat(clockSet.json().get("confirmed").asBoolean()).isTrue();
      Http.Response push = httpB.get("/api/meters/" + meter + "/push", TOKEN);
      assertThat(push.status()).as(push.body()).isEqualTo(200);
      assertThat(push.json().get("periodSeconds").isNumber()).isTrue();
      assertThat(commands(db, meter)).containsExactly("message done a", "disconnect done a", "reconnect done a",
          "read done a", "clock-read done a", "clock-set done a", "push-read done a");
      assertThat(audited(httpA, meter, "clock-set")).isEqualTo(1);

      // 3. kill -9 of a: b reads every meter within 15 s
      a.kill();
      Timestamp killed = now(db);
      Conditions.await("every meter read again within 15 s of the kill", Duration.ofSeconds(15),
          () -> metersReadSince(db, killed) == METERS);
      System.out.println("ScaleOutIT: every meter read again " + (now(db).getTime() - killed.getTime())
          + " ms after kill -9 (at most)");
      assertThat(leases(db)).isEqualTo(Map.of("b", (long) METERS));
      // b now runs commands for the taken-over meter itself
      assertThat(httpB.post("/api/meters/" + meter + "/disconnect", TOKEN, null).json().get("relay").asText())
          .isEqualTo("disconnected");
      assertThat(audited(httpB, meter, "disconnect")).isEqualTo(2);

      // no meter was polled by both instances: one periodic session at a time reads a meter at most once a
      // period, plus one for each of the (at most 3) sessions it had: a, maybe b before the split, b
      for (Map.Entry<String, long[]> e : pollSpans(db).entrySet()) {
        long count = e.getValue()[0];
        double spanSeconds = e.getValue()[1] / 1000.0;
        assertThat(count).as("poll readings of " + e.getKey() + " over " + spanSeconds + " s")
            .isLessThanOrEqualTo((long) Math.floor(spanSeconds / POLL_SECONDS) + 3);
      }

      // 4. a clean stop releases the leases at once
      assertThat(b.terminate(Duration.ofSeconds(60))).as("exit code after SIGTERM").isEqualTo(143);
      assertThat(leases(db)).isEmpty();
    }
  }

  @Test
  void aCommandWhoseInstanceIsKilledFailsOnceAndAlarmsAreJudgedOncePerMeter() throws Exception {
    LocalPostgres pg = LocalPostgres.start();
    running.add(pg);
    MeterFleet fleet = new MeterFleet(dir, 3, 1, "256m");
    running.add(fleet);
    // a meter that accepts connections and never answers: never read (an alarm), and a command on it runs
    // until the meter timeout
    Silent dead = new Silent();
    running.add(dead);
    RealMeters.keys(dir, "zz-dead");
    List<MeterInput> all = new ArrayList<>(fleet.meters());
    all.add(new MeterInput("zz-dead", dead.url(), "zz-dead.keys", null, false, 0, false));
    Path config = config(pg, all, 6_000);
    ChildProcess a = HeadendProcessMain.start(dir, config, "headend-a", "--instance", "a");
    running.add(a);
    ChildProcess b = HeadendProcessMain.start(dir, config, "headend-b", "--instance", "b");
    running.add(b);
    Map<String, Http> http = Map.of("a", new Http(HeadendProcessMain.baseUri(a)),
        "b", new Http(HeadendProcessMain.baseUri(b)));
    Map<String, ChildProcess> process = Map.of("a", a, "b", b);

    try (Connection db = DriverManager.getConnection(pg.url())) {
      awaitSplit(db, Map.of("a", 2L, "b", 2L));
      // each instance applies the alarm rules to its own 2 meters, not to the whole fleet
      Conditions.await("each instance judges the alarms of its 2 meters", Duration.ofSeconds(30),
          () -> metric(http.get("a"), "headend_alarms_meters") == 2 && metric(http.get("b"), "headend_alarms_meters") == 2);
      Conditions.await("the silent meter's not-read alarm", Duration.ofSeconds(60),
          () -> notReadAlarms(db, "zz-dead").size() == 1);
      long alarm = notReadAlarms(db, "zz-dead").get(0);

      // a command accepted by the other instance, running on the holder when the holder is killed
      String holder = query(db, "SELECT instance FROM meter_lease WHERE meter_id = 'zz-dead'", rs -> {
        rs.next();
        return rs.getString(1);
      });
      String other = holder.equals("a") ? "b" : "a";
      java.util.concurrent.CompletableFuture<Http.Response> disconnect = java.util.concurrent.CompletableFuture
          .supplyAsync(() -> http.get(other).post("/api/meters/zz-dead/disconnect", TOKEN, null));
      Conditions.await("the command running on " + holder, Duration.ofSeconds(30),
          () -> commands(db, "zz-dead").equals(List.of("disconnect running " + holder)));
      process.get(holder).kill();
      Http.Response failed = disconnect.get(60, java.util.concurrent.TimeUnit.SECONDS);
      assertThat(failed.status()).as(failed.body()).isEqualTo(502);
      assertThat(failed.json().get("error").asText()).contains("instance " + holder + " stopped while running")
          .contains("not sent again");
      assertThat(commands(db, "zz-dead")).as("failed once, never sent again")
          .containsExactly("disconnect failed " + holder);
      List<JsonNode> audit = new ArrayList<>();
      http.get(other).get("/api/audit?limit=1000", TOKEN).json().forEach(e -> {
        if ("zz-dead".equals(e.path("meterId").asText()) && "disconnect".equals(e.path("action").asText())) {
          audit.add(e);
        }
      });
      assertThat(audit).as("audited once, as failed").singleElement()
          .satisfies(e -> assertThat(e.get("result").asText()).isEqualTo("failed"));

      // the survivor takes every meter and judges all 4; the open alarm stays the one open alarm
      Conditions.await(other + " judges the alarms of all 4 meters", Duration.ofSeconds(60),
          () -> leases(db).equals(Map.of(other, 4L)) && metric(http.get(other), "headend_alarms_meters") == 4);
      Timestamp judged = now(db);
      Conditions.await("every live meter read by " + other, Duration.ofSeconds(30),
          () -> metersReadSince(db, judged) == 3);
      assertThat(notReadAlarms(db, "zz-dead")).as("not closed, not duplicated by the move").containsExactly(alarm);
      long notRead = query(db, "SELECT count(*) FROM alarm WHERE kind = 'not_read'", rs -> {
        rs.next();
        return rs.getLong(1);
      });
      assertThat(notRead).as("no other meter alarmed, no duplicate").isEqualTo(1L);
    }
  }

  /**
   * Waits for the instances to hold {@code split} leases; says how long it took, and on failure what the leases
   * were and what the instances logged about them (the split is what a failure here is most likely about).
   */
  private void awaitSplit(Connection db, Map<String, Long> split) throws java.io.IOException {
    long started = System.nanoTime();
    try {
      Conditions.await(split + " meter leases", Duration.ofSeconds(60), () -> leases(db).equals(split));
    } catch (AssertionError e) {
      StringBuilder logs = new StringBuilder();
      for (String name : List.of("headend-a", "headend-b")) {
        Path log = dir.resolve(name + ".log");
        if (java.nio.file.Files.exists(log)) {
          for (String line : java.nio.file.Files.readAllLines(log)) {
            if (line.contains("lease") || line.contains("instance") || line.contains("ERROR")) {
              logs.append(name).append(": ").append(line).append('\n');
            }
          }
        }
      }
      throw new AssertionError(e.getMessage() + "; leases: " + leases(db) + "\n" + logs, e);
    }
    System.out.printf("ScaleOutIT: leases split %s after %d ms%n", split, (System.nanoTime() - started) / 1_000_000);
  }

  /** The ids of the meter's open (not cleared) not-read alarms. */
  private static List<Long> notReadAlarms(Connection db, String meter) {
    return query(db, "SELECT id FROM alarm WHERE kind = 'not_read' AND subject = '" + meter
        + "' AND cleared_at IS NULL ORDER BY id", rs -> {
          List<Long> ids = new ArrayList<>();
          while (rs.next()) {
            ids.add(rs.getLong(1));
          }
          return ids;
        });
  }

  private static long readingsOfKind(Connection db, String meter, String kind) {
    return query(db, "SELECT count(*) FROM reading WHERE meter_id = '" + meter + "' AND kind = '" + kind + "'",
        rs -> {
          rs.next();
          return rs.getLong(1);
        });
  }

  /** A gauge's value from the instance's /metrics (-1: not there yet). */
  private static double metric(Http http, String name) {
    for (String line : http.get("/metrics", TOKEN).body().split("\n")) {
      if (line.startsWith(name + " ") || line.startsWith(name + "{")) {
        return Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
      }
    }
    return -1;
  }

  private Path config(LocalPostgres pg, List<MeterInput> fleet, int timeoutMillis) throws java.io.IOException {
    StringBuilder meters = new StringBuilder();
    for (MeterInput m : fleet) {
      meters.append("""
            - id: %s
              url: %s
              keysFile: %s
              pollSeconds: %d
              profile: false
          """.formatted(m.id(), m.url(), m.keysFile(), POLL_SECONDS));
    }
    Path config = dir.resolve("headend.yaml");
    Files.writeString(config, """
        http:
          bind: 127.0.0.1:0
        keysDirectory: .
        database:
          url: "%s"
        polling:
          timeoutMillis: %d
        tokens:
          - name: scale-out
            role: operator
            sha256: %s
        meters:
        %s""".formatted(pg.url(), timeoutMillis, TokenStore.sha256(TOKEN), meters));
    return config;
  }

  /** Accepts TCP connections and never answers (a meter that hangs). */
  static final class Silent implements AutoCloseable {
    private final java.net.ServerSocket server = new java.net.ServerSocket(0, 50,
        java.net.InetAddress.getLoopbackAddress());
    private final List<java.net.Socket> held = new java.util.concurrent.CopyOnWriteArrayList<>();

    Silent() throws java.io.IOException {
      Thread t = new Thread(() -> {
        try {
          while (true) {
            held.add(server.accept());
          }
        } catch (java.io.IOException e) {
          // closed
        }
      }, "silent-meter");
      t.setDaemon(true);
      t.start();
    }

    String url() {
      return "tcp://127.0.0.1:" + server.getLocalPort();
    }

    @Override
    public void close() throws java.io.IOException {
      server.close();
      for (java.net.Socket s : held) {
        s.close();
      }
    }
  }

  private static Map<String, Long> leases(Connection db) {
    return query(db, "SELECT instance, count(*) FROM meter_lease WHERE instance IS NOT NULL AND expires_at > now()"
        + " GROUP BY instance", rs -> {
          Map<String, Long> m = new HashMap<>();
          while (rs.next()) {
            m.put(rs.getString(1), rs.getLong(2));
          }
          return m;
        });
  }

  private static List<String> heldBy(Connection db, String instance) {
    return query(db, "SELECT meter_id FROM meter_lease WHERE instance = '" + instance + "' ORDER BY meter_id", rs -> {
      List<String> ids = new ArrayList<>();
      while (rs.next()) {
        ids.add(rs.getString(1));
      }
      return ids;
    });
  }

  private static Timestamp now(Connection db) {
    return query(db, "SELECT now()", rs -> {
      rs.next();
      return rs.getTimestamp(1);
    });
  }

  private static int metersReadSince(Connection db, Timestamp since) {
    try (PreparedStatement ps = db.prepareStatement(
        "SELECT count(DISTINCT meter_id) FROM reading WHERE read_at > ?")) {
      ps.setTimestamp(1, since);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getInt(1);
      }
    } catch (SQLException e) {
      throw new AssertionError(e);
    }
  }

  private static List<String> commands(Connection db, String meter) {
    return query(db, "SELECT action, state, executed_by FROM meter_command WHERE meter_id = '" + meter
        + "' ORDER BY id", rs -> {
          List<String> rows = new ArrayList<>();
          while (rs.next()) {
            rows.add(rs.getString(1) + " " + rs.getString(2) + " " + rs.getString(3));
          }
          return rows;
        });
  }

  /** Per meter: its periodic readings and the milliseconds between the first and the last. */
  private static Map<String, long[]> pollSpans(Connection db) {
    return query(db, "SELECT meter_id, count(*), (EXTRACT(EPOCH FROM max(read_at) - min(read_at)) * 1000)::bigint"
        + " FROM reading WHERE kind = 'poll' GROUP BY meter_id", rs -> {
          Map<String, long[]> m = new HashMap<>();
          while (rs.next()) {
            m.put(rs.getString(1), new long[] {rs.getLong(2), rs.getLong(3)});
          }
          return m;
        });
  }

  private static long audited(Http http, String meter, String action) {
    long n = 0;
    for (JsonNode e : http.get("/api/audit?limit=1000", TOKEN).json()) {
      if (meter.equals(e.path("meterId").asText()) && action.equals(e.path("action").asText())) {
        n++;
        assertThat(e.get("result").asText()).as(e.toString()).isEqualTo("ok");
      }
    }
    return n;
  }

  interface Rows<T> {
    T read(ResultSet rs) throws SQLException;
  }

  private static <T> T query(Connection db, String sql, Rows<T> rows) {
    try (PreparedStatement ps = db.prepareStatement(sql); ResultSet rs = ps.executeQuery()) {
      return rows.read(rs);
    } catch (SQLException e) {
      throw new AssertionError(e);
    }
  }
}
