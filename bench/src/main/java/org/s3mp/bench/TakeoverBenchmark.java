package org.s3mp.bench;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.s3mp.headend.HeadendConfig;
import org.s3mp.headend.fleet.MeterInput;
import org.s3mp.headend.storage.LocalPostgres;

/**
 * Scale-out takeover as a utility would test it: N simulated meters (one process), a throw-away PostgreSQL and two
 * head-end instances ({@code s3mp headend --instance a|b}, each its own process) that split the meters by leases.
 * Once every meter is read, after {@code before} seconds the instance holding more meters is killed with SIGKILL;
 * measured from the database over the next {@code after} seconds: how long until each of its meters was read again
 * by the survivor, readings duplicated (after the kill, two readings of a meter closer than half the interval: both
 * instances reading it), the largest gap between two readings of the survivor's own meters (did the takeover disturb them),
 * and after the survivor's clean stop the readings it took and did not store.
 */
public final class TakeoverBenchmark {

  /** The bound: a killed instance's meters are read by the others within this. */
  public static final Duration BOUND = Duration.ofSeconds(15);

  /** {@code headendCommand}: {@code java ... org.s3mp.app.S3mp headend}, options are appended. */
  public record Settings(int meters, int intervalSeconds, int beforeSeconds, int afterSeconds, Path out,
      List<String> meterCommand, List<String> headendCommand) {
    public Settings {
      if (meters < 2) {
        throw new IllegalArgumentException("--meters: at least 2 (one for each instance), got " + meters);
      }
      if (intervalSeconds < 1 || beforeSeconds < 1 || afterSeconds < BOUND.toSeconds()) {
        throw new IllegalArgumentException("--interval and --before must be at least 1 s, --after at least "
            + BOUND.toSeconds() + " s");
      }
    }
  }

  public record Result(int meters, int intervalSeconds, double secondsUntilSplit, String killedInstance,
      int killedMeters, double takeoverMaxSeconds, double takeoverMedianSeconds, int notReadAgain,
      long duplicatedReadings, double survivorsLargestGapSeconds, long survivorTaken, long survivorStored,
      long survivorLost, boolean passed, List<String> duplicatesSample) {}

  private TakeoverBenchmark() {}

  public static Result run(Settings s, Consumer<String> progress) throws Exception {
    Files.createDirectories(s.out());
    Path data = s.out().resolve("meters");
    int ports = FleetBenchmark.freeConsecutivePorts(s.meters());
    List<String> meterArgs = List.of("--simulated", "--count", Integer.toString(s.meters()), "--data",
        data.toString(), "--listen", "tcp://127.0.0.1:" + ports);
    Map<String, MeterProcess> headends = new TreeMap<>();
    try (MeterProcess meters = MeterProcess.start(s.meterCommand(), meterArgs, s.out().resolve("meters.log"));
        LocalPostgres pg = LocalPostgres.start()) {
      List<MeterInput> inputs = FleetBenchmark.awaitMeters(meters, s.meters(), s.intervalSeconds(), data);
      progress.accept(s.meters() + " meters running in process " + meters.pid() + ", PostgreSQL in process "
          + pg.pid());
      Path config = writeConfig(s.out().resolve("headend.yaml"), pg.url(), inputs, data);
      try {
        long t0 = System.nanoTime();
        for (String name : List.of("a", "b")) {
          List<String> args = List.of("--config", config.toString(), "--instance", name);
          MeterProcess p = MeterProcess.start(s.headendCommand(), args, s.out().resolve("headend-" + name + ".log"));
          headends.put(name, p);
          progress.accept("head-end instance " + name + " started (process " + p.pid() + ")");
        }
        try (Connection db = DriverManager.getConnection(pg.url())) {
          int half = s.meters() / 2;
          await("the instances split the meters", Duration.ofSeconds(120), headends, () -> {
            Map<String, Long> l = leases(db);
            return l.size() == 2 && l.values().stream().allMatch(n -> n >= half) && total(l) == s.meters();
          });
          double split = (System.nanoTime() - t0) / 1e9;
          Map<String, Long> leases = leases(db);
          progress.accept(String.format(Locale.ROOT, "leases split %s after %.1f s", leases, split));
          Instant splitAt = Instant.now();
          await("every meter read after the split", Duration.ofSeconds(60), headends,
              () -> metersReadSince(db, splitAt) == s.meters());
          TimeUnit.SECONDS.sleep(s.beforeSeconds()); // the measurement window before the kill, not a synchronisation
          String killed = leases.get("a") >= leases.get("b") ? "a" : "b";
          String survivor = killed.equals("a") ? "b" : "a";
          Set<String> killedMeters = Set.copyOf(held(db, killed));
          headends.get(killed).kill();
          Instant killedAt = Instant.now();
          progress.accept("killed instance " + killed + " (kill -9) holding " + killedMeters.size() + " meters");
          TimeUnit.SECONDS.sleep(s.afterSeconds()); // the window after the kill in which the takeover is measured
          progress.accept("stopping instance " + survivor + " (drains its writer's queue)");
          MeterProcess rest = headends.remove(survivor);
          rest.stop(60);
          long[] survivorCounts = stopCounts(rest.logText());
          if (survivorCounts == null) {
            throw new IOException("instance " + survivor + " did not say what it stored as it stopped: "
                + rest.logTail());
          }
          Result r = measure(s, db, split, killed, killedMeters, splitAt, killedAt, survivorCounts);
          new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT)
              .writeValue(s.out().resolve("takeover.json").toFile(), r);
          Files.writeString(s.out().resolve("report.md"), report(r));
          return r;
        }
      } finally {
        headends.values().forEach(p -> p.stop(30));
      }
    }
  }

  private static Result measure(Settings s, Connection db, double split, String killed, Set<String> killedMeters,
      Instant splitAt, Instant killedAt, long[] survivorCounts) throws SQLException {
    Map<String, List<Instant>> times = new HashMap<>();
    try (PreparedStatement ps = db.prepareStatement("SELECT meter_id, read_at FROM reading WHERE source = 'poll'"
        + " AND read_at >= ? ORDER BY meter_id, read_at")) {
      ps.setObject(1, java.sql.Timestamp.from(splitAt));
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          times.computeIfAbsent(rs.getString(1), k -> new ArrayList<>()).add(rs.getTimestamp(2).toInstant());
        }
      }
    }
    List<Double> takeovers = new ArrayList<>();
    int notReadAgain = 0;
    long duplicated = 0;
    List<String> sample = new ArrayList<>();
    double largestGap = 0;
    long halfInterval = TimeUnit.SECONDS.toMillis(s.intervalSeconds()) / 2;
    for (Map.Entry<String, List<Instant>> e : times.entrySet()) {
      List<Instant> t = e.getValue();
      for (int i = 1; i < t.size(); i++) {
        long gap = Duration.between(t.get(i - 1), t.get(i)).toMillis();
        // from the kill on: the planned hand-over at the split (the giving instance's last reading, the taking
        // one's first at once) is not what a duplicate means here
        if (gap < halfInterval && t.get(i).isAfter(killedAt)) {
          duplicated++;
          if (sample.size() < 10) {
            sample.add(e.getKey() + " at " + t.get(i) + " (" + gap + " ms after the one before; kill at " + killedAt
                + ")");
          }
        }
        if (!killedMeters.contains(e.getKey())) {
          largestGap = Math.max(largestGap, gap / 1000.0);
        }
      }
    }
    for (String id : killedMeters) {
      Instant again = times.getOrDefault(id, List.of()).stream().filter(t -> t.isAfter(killedAt)).findFirst()
          .orElse(null);
      if (again == null || Duration.between(killedAt, again).compareTo(BOUND) > 0) {
        notReadAgain++;
      }
      if (again != null) {
        takeovers.add(Duration.between(killedAt, again).toMillis() / 1000.0);
      }
    }
    takeovers.sort(null);
    double max = takeovers.isEmpty() ? Double.NaN : takeovers.get(takeovers.size() - 1);
    double median = takeovers.isEmpty() ? Double.NaN : takeovers.get(takeovers.size() / 2);
    long lost = survivorCounts[0] - survivorCounts[1];
    return new Result(s.meters(), s.intervalSeconds(), split, killed, killedMeters.size(), max, median,
        notReadAgain, duplicated, largestGap, survivorCounts[0], survivorCounts[1], lost,
        notReadAgain == 0 && duplicated == 0 && lost == 0, sample);
  }

  /** The head-end config both instances run: the meters, the shared database, an HTTP port of their own. */
  private static Path writeConfig(Path file, String dbUrl, List<MeterInput> meters, Path keys) throws IOException {
    HeadendConfig config = new HeadendConfig(new HeadendConfig.Http("127.0.0.1:0", null),
        new HeadendConfig.Database(dbUrl, null, null), null, null, meters, null, keys.toString(), null, null, null);
    new ObjectMapper(new YAMLFactory()).setSerializationInclusion(JsonInclude.Include.NON_NULL)
        .writeValue(file.toFile(), config);
    return file;
  }

  /** What the head-end logs as it stops: {readings taken since start, stored}; null when missing. */
  static long[] stopCounts(String log) {
    return FleetBenchmark.lastCounts(log, "head-end stopped: (\\d+) readings taken since start, (\\d+) stored");
  }

  /** Live leases per instance; empty while the instances have not created the tables yet. */
  private static Map<String, Long> leases(Connection db) {
    Map<String, Long> result = new TreeMap<>();
    try (PreparedStatement ps = db.prepareStatement("SELECT instance, count(*) FROM meter_lease"
        + " WHERE instance IS NOT NULL AND expires_at > now() GROUP BY instance");
        ResultSet rs = ps.executeQuery()) {
      while (rs.next()) {
        result.put(rs.getString(1), rs.getLong(2));
      }
    } catch (SQLException e) {
      if (!"42P01".equals(e.getSQLState())) { // undefined table: the first instance is still migrating
        throw new IllegalStateException("reading the leases: " + e.getMessage(), e);
      }
    }
    return result;
  }

  private static long total(Map<String, Long> leases) {
    return leases.values().stream().mapToLong(Long::longValue).sum();
  }

  private static List<String> held(Connection db, String instance) throws SQLException {
    List<String> ids = new ArrayList<>();
    try (PreparedStatement ps = db.prepareStatement("SELECT meter_id FROM meter_lease WHERE instance = ?")) {
      ps.setString(1, instance);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          ids.add(rs.getString(1));
        }
      }
    }
    return ids;
  }

  private static long metersReadSince(Connection db, Instant since) {
    try (PreparedStatement ps = db.prepareStatement(
        "SELECT count(DISTINCT meter_id) FROM reading WHERE read_at > ?")) {
      ps.setObject(1, java.sql.Timestamp.from(since));
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getLong(1);
      }
    } catch (SQLException e) {
      throw new IllegalStateException("reading the readings: " + e.getMessage(), e);
    }
  }

  private static void await(String what, Duration timeout, Map<String, MeterProcess> headends,
      java.util.function.BooleanSupplier condition) throws IOException, InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!condition.getAsBoolean()) {
      for (Map.Entry<String, MeterProcess> h : headends.entrySet()) {
        if (!h.getValue().alive()) {
          throw new IOException("head-end instance " + h.getKey() + " exited: " + h.getValue().logTail());
        }
      }
      if (System.nanoTime() > deadline) {
        throw new IOException("timed out after " + timeout.toSeconds() + " s waiting until " + what);
      }
      TimeUnit.MILLISECONDS.sleep(200); // polling the database for the condition
    }
  }

  static String report(Result r) {
    StringBuilder b = new StringBuilder("# Takeover benchmark\n\n");
    b.append(String.format(Locale.ROOT, "%d simulated meters read every %d s by two head-end instances sharing one"
        + " PostgreSQL; instance %s, holding %d meters, killed with SIGKILL.%n%n", r.meters(), r.intervalSeconds(),
        r.killedInstance(), r.killedMeters()));
    b.append("| measure | value |\n|---|---|\n");
    row(b, "leases split after", "%.1f s", r.secondsUntilSplit());
    row(b, "killed instance's meters read again after (max / median)", "%.1f s / %.1f s", r.takeoverMaxSeconds(),
        r.takeoverMedianSeconds());
    row(b, "meters not read again within " + BOUND.toSeconds() + " s", "%d", r.notReadAgain());
    row(b, "readings duplicated (after the kill, closer than half the interval)", "%d", r.duplicatedReadings());
    row(b, "largest gap between readings of the survivor's own meters", "%.1f s", r.survivorsLargestGapSeconds());
    row(b, "survivor: readings taken / stored / lost", "%d / %d / %d", r.survivorTaken(), r.survivorStored(),
        r.survivorLost());
    row(b, "passed", "%s", r.passed() ? "yes" : "no");
    if (!r.duplicatesSample().isEmpty()) {
      b.append("\nDuplicated readings (the first ").append(r.duplicatesSample().size()).append("):\n");
      r.duplicatesSample().forEach(d -> b.append("- ").append(d).append('\n'));
    }
    b.append("\nPassed: every meter of the killed instance read again within ").append(BOUND.toSeconds())
        .append(" s, no reading duplicated, none lost by the survivor. Readings the killed instance had taken and not"
            + " yet stored are gone with it (what kill -9 costs); load-profile backfill recovers their energy.\n");
    return b.toString();
  }

  private static void row(StringBuilder b, String name, String format, Object... values) {
    b.append("| ").append(name).append(" | ").append(String.format(Locale.ROOT, format, values)).append(" |\n");
  }
}
