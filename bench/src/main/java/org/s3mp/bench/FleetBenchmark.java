package org.s3mp.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.distribution.ValueAtPercentile;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.s3mp.headend.Headend;
import org.s3mp.headend.HeadendConfig;
import org.s3mp.headend.fleet.MeterInput;
import org.s3mp.headend.polling.DlmsMeterConnector;
import org.s3mp.headend.storage.Database;
import org.s3mp.headend.storage.LocalPostgres;
import org.s3mp.testbed.Testbed;

/**
 * A fleet as a utility runs it: N simulated meters in meter processes ({@code s3mp meter --count N}, at most
 * {@code metersPerProcess} each, on one block of consecutive ports) and a
 * head-end in this process polling every meter every {@code interval} and storing the readings. Measured from the
 * head-end's own metrics: readings stored per second, read latency p50/p99, the writer's largest backlog, the time
 * until every association was up, heap and threads per meter, CPU of head-end and meters; and after the head-end's
 * clean stop, readings lost (taken from a meter but not in the database).
 *
 * <p>With {@code push} the meters push their registers every {@code interval} to the head-end's push listener
 * instead of being polled (DLMS Data-Notification, one connection per meter): measured are pushed readings stored
 * per second, refusals, pushes lost (sent by the meters, not stored, not refused) and the delay from the meter's
 * clock in the push to its reading queued for storage (meters on the same host, so one clock).
 *
 * <p>Over SCION ({@code transport} scion) the meters listen in the testbed's concentrator AS and the head-end
 * reads them through its own AS's daemon and the testbed's routers: the testbed running in {@code testbedDir} is
 * used, or else one is started there for the run and stopped after it.
 */
public final class FleetBenchmark {

  /** The transports the meters can be reached over. */
  public static final List<String> TRANSPORTS = List.of("tcp", "scion");

  /**
   * Simulated meters per meter process by default. A process may hold 20,000 file descriptors here (the container's
   * hard limit, not raisable) and a meter takes 3 (its listening socket, the lock on its data directory and the
   * head-end's connection), so 10,000 meters need several processes; 2,500 (7,500 descriptors) leaves room for a
   * connection being replaced while the old one still closes.
   */
  public static final int DEFAULT_METERS_PER_PROCESS = 2_500;

  /**
   * {@code database}: {@code h2} (a fresh file under {@code out}), {@code postgres} (a throw-away local
   * PostgreSQL started and stopped by the benchmark) or a JDBC URL. {@code testbedDir}: the SCION testbed's run
   * folder (scion only).
   */
  public record Settings(int meters, int intervalSeconds, int durationSeconds, String transport, String database,
      Path out, List<String> meterCommand, Path testbedDir, boolean push, int metersPerProcess,
      HeadendConfig.Polling polling) {
    public Settings(int meters, int intervalSeconds, int durationSeconds, String transport, String database,
        Path out, List<String> meterCommand, Path testbedDir) {
      this(meters, intervalSeconds, durationSeconds, transport, database, out, meterCommand, testbedDir, false,
          DEFAULT_METERS_PER_PROCESS, null);
    }

    public Settings {
      if (metersPerProcess < 1) {
        throw new IllegalArgumentException("--meters-per-process must be at least 1, got " + metersPerProcess);
      }
      if (!TRANSPORTS.contains(transport)) {
        throw new IllegalArgumentException("--transport must be tcp or scion, not " + transport);
      }
      if (transport.equals("scion") && testbedDir == null) {
        throw new IllegalArgumentException("over SCION the benchmark needs the testbed's run folder");
      }
    }
  }

  public record Result(int meters, int intervalSeconds, String transport, String database, Double secondsUntilAllUp,
      double windowSeconds, double readingsPerSecondStored, double targetReadingsPerSecond, double readLatencyP50Ms,
      double readLatencyP99Ms, long largestBacklog, int queueCapacity, long backpressureWaits, long readingsTaken,
      long readingsStored, long readingsLost, double headendHeapPerMeterKiB, double headendThreadsPerMeter,
      double headendCpuPercent, double metersCpuPercent, double metersRssMb, int meterProcesses,
      long headendFileDescriptors, double meterFileDescriptorsPerMeter, Push push) {}

  /** One meter process's share: meters {@code first}..{@code first + count - 1} (0-based) on ports base + first... */
  record Share(int first, int count) {}

  /** {@code meters} split over as few processes as hold at most {@code perProcess} each, as evenly as possible. */
  static List<Share> split(int meters, int perProcess) {
    int processes = (meters + perProcess - 1) / perProcess;
    List<Share> shares = new ArrayList<>();
    int first = 0;
    for (int i = 0; i < processes; i++) {
      int count = meters / processes + (i < meters % processes ? 1 : 0);
      shares.add(new Share(first, count));
      first += count;
    }
    return shares;
  }

  /**
   * The push side of a {@code push} run (null in a polling run): what the meters sent and failed to send, what the
   * listener accepted and refused, and the delay percentiles (meter's clock to queued for storage).
   */
  public record Push(long sent, long sendFailures, long accepted, long refused, double delayP50Ms,
      double delayP99Ms) {
    /** Sent by the meters and neither stored nor refused. */
    public long lost(long stored) {
      return Math.max(0, sent - stored - refused);
    }
  }

  /** The meter process's last line {@code pushes sent N failed M} (printed as it stops); null when missing. */
  static long[] pushTotals(String meterLog) {
    return lastCounts(meterLog, "pushes sent (\\d+) failed (\\d+)");
  }

  /** The numbers of {@code regex}'s groups in its last match in a process's log (what it said as it stopped). */
  static long[] lastCounts(String log, String regex) {
    Matcher m = Pattern.compile(regex).matcher(log);
    long[] last = null;
    while (m.find()) {
      last = new long[m.groupCount()];
      for (int i = 0; i < last.length; i++) {
        last[i] = Long.parseLong(m.group(i + 1));
      }
    }
    return last;
  }

  private FleetBenchmark() {}

  public static Result run(Settings s, Consumer<String> progress) throws Exception {
    Files.createDirectories(s.out());
    if (!s.transport().equals("scion")) {
      return run(s, null, progress);
    }
    Optional<Testbed> running = Testbed.attach(s.testbedDir())
        .filter(tb -> tb.processes().stream().anyMatch(Testbed.ProcessStatus::running));
    if (running.isPresent()) {
      progress.accept("using the SCION testbed running in " + s.testbedDir());
      return run(s, running.get(), progress);
    }
    progress.accept("starting a SCION testbed in " + s.testbedDir() + " for this run");
    try (Testbed tb = Testbed.start(Testbed.options(s.testbedDir()).withProgress(l -> progress.accept("testbed: " + l)))) {
      return run(s, tb, progress);
    }
  }

  private static Result run(Settings s, Testbed tb, Consumer<String> progress) throws Exception {
    Path data = s.out().resolve("meters");
    List<String> args = new ArrayList<>(List.of("--simulated"));
    String headEndDaemon = null;
    int meterPorts = -1;
    String listenPrefix;
    if (tb == null) {
      meterPorts = freeConsecutivePorts(s.meters());
      listenPrefix = "tcp://127.0.0.1:";
    } else {
      // the meters in the concentrator AS, on its host address; the head-end in the head-end AS
      InetAddress ip = tb.hostAddress(tb.concentrator());
      meterPorts = freeConsecutiveUdpPorts(ip, s.meters());
      listenPrefix = "scion://" + tb.concentrator() + ",[" + ip.getHostAddress() + "]:";
      args.addAll(List.of("--daemon", tb.daemonHostPort(tb.concentrator())));
      headEndDaemon = tb.daemonHostPort(tb.headEnd());
    }
    String pushUrl = null;
    if (s.push()) {
      if (tb != null) {
        throw new IllegalArgumentException("bench fleet --push: over TCP only for now");
      }
      // below Linux's ephemeral range (32768-60999): the meters' own connection attempts to the listener, made
      // before the head-end is up, took the port chosen there once ("Address already in use")
      int port;
      do {
        port = freePortBelowEphemeral();
      } while (port >= meterPorts && port < meterPorts + s.meters()); // those are free until the meters start
      pushUrl = "tcp://127.0.0.1:" + port;
      args.addAll(List.of("--push", pushUrl, "--push-period", Integer.toString(s.intervalSeconds())));
    }
    LocalPostgres pg = null;
    List<Share> shares = split(s.meters(), s.metersPerProcess());
    List<MeterProcess> meterProcesses = new ArrayList<>();
    try {
      // each process its own data folder and seeds, its ports the next of the one block (the head-end's meter
      // list stays one range)
      for (int i = 0; i < shares.size(); i++) {
        Share share = shares.get(i);
        List<String> a = new ArrayList<>(args);
        a.addAll(List.of("--count", Integer.toString(share.count()), "--listen", listenPrefix
            + (meterPorts + share.first()), "--seed", Integer.toString(1 + share.first()), "--data",
            (shares.size() == 1 ? data : data.resolve(String.format("p%02d", i + 1))).toString()));
        meterProcesses.add(MeterProcess.start(s.meterCommand(), a,
            s.out().resolve(shares.size() == 1 ? "meters.log" : String.format("meters-%02d.log", i + 1))));
      }
      List<MeterInput> inputs = new ArrayList<>();
      for (int i = 0; i < shares.size(); i++) {
        // the processes start together on the same cores: each gets the time the whole fleet takes
        inputs.addAll(awaitMeters(meterProcesses.get(i), shares.get(i), s.push() ? 0 : s.intervalSeconds(), data,
            startTimeout(s.meters())));
      }
      List<Long> meterPids = meterProcesses.stream().map(MeterProcess::pid).toList();
      progress.accept(s.meters() + " meters running in " + (shares.size() == 1 ? "process " : "processes ")
          + meterPids.stream().map(String::valueOf).collect(java.util.stream.Collectors.joining(", ")));
      if (s.database().equals("postgres")) {
        pg = LocalPostgres.start();
        progress.accept("throw-away PostgreSQL running (process " + pg.pid() + ")");
      }
      String dbUrl = s.database().equals("h2") ? freshH2(s.out()) : pg != null ? pg.url() : s.database();
      // pushing meters are not associated with at all: no clock checks either (the default checks every meter)
      HeadendConfig config = new HeadendConfig(new HeadendConfig.Http("127.0.0.1:0", null),
          new HeadendConfig.Database(dbUrl, null, null), s.polling(), List.of(), inputs,
          headEndDaemon == null ? null : new HeadendConfig.Scion(headEndDaemon, null), data.toString(), null,
          null, s.push() ? new HeadendConfig.Clock(86_400 * 365, null, null) : null)
          .withPushListen(pushUrl).withDefaults();
      long heap0 = usedHeapAfterGc();
      int threads0 = Thread.activeCount();
      ProcessSampler headendCpu = new ProcessSampler(List.of(ProcessHandle.current().pid()));
      ProcessSampler meterCpu = new ProcessSampler(meterPids);
      long t0 = System.nanoTime();
      Headend headend = Headend.start(config, new DlmsMeterConnector(headEndDaemon));
      MeterRegistry m = headend.metrics();
      long largestBacklog = 0;
      Double allUp = null;
      long windowStart = 0;
      double storedAtStart = 0;
      long hCpu0 = 0;
      long mCpu0 = 0;
      // the window starts once every association is up (or after at most 5 minutes of trying)
      long upDeadline = t0 + upTimeout(s.meters()).toNanos();
      long headendFds = 0;
      double acceptedBefore = 0;
      long sampledAt = t0;
      try {
        while (true) {
          long now = System.nanoTime();
          largestBacklog = Math.max(largestBacklog, (long) m.get("headend.readings.backlog").gauge().value());
          headendFds = Math.max(headendFds, fileDescriptors(ProcessHandle.current().pid()));
          double acceptedNow = s.push() ? m.get("headend.push.received").tag("setup", "registers").counter().count() : 0;
          boolean up = s.push() ? pushesUp(acceptedBefore, acceptedNow, (now - sampledAt) / 1e9,
              s.meters() / (double) s.intervalSeconds()) : connected(m) >= s.meters();
          acceptedBefore = acceptedNow;
          sampledAt = now;
          if (allUp == null && up) {
            allUp = (now - t0) / 1e9;
            progress.accept(String.format(Locale.ROOT, s.push() ? "pushes of all %d meters arriving after %.1f s"
                : "all %d associations up after %.1f s", s.meters(), allUp));
          }
          if (windowStart == 0 && (allUp != null || now > upDeadline)) {
            windowStart = now;
            storedAtStart = m.get("headend.readings.stored").counter().count();
            hCpu0 = headendCpu.cpuTicks();
            mCpu0 = meterCpu.cpuTicks();
          }
          if (windowStart != 0 && now - windowStart >= TimeUnit.SECONDS.toNanos(s.durationSeconds())) {
            break;
          }
          for (MeterProcess p : meterProcesses) {
            if (!p.alive()) {
              throw new IOException("meter process " + p.pid() + " exited: " + p.logTail());
            }
          }
          Thread.sleep(1000); // the sampling period
        }
        double window = (System.nanoTime() - windowStart) / 1e9;
        double storedPerSecond = (m.get("headend.readings.stored").counter().count() - storedAtStart) / window;
        double headendCpuPercent = 100.0 * (headendCpu.cpuTicks() - hCpu0) / ProcessSampler.TICKS_PER_SECOND / window;
        double metersCpuPercent = 100.0 * (meterCpu.cpuTicks() - mCpu0) / ProcessSampler.TICKS_PER_SECOND / window;
        double metersRssMb = meterCpu.rssKb() / 1024.0;
        long meterFds = 0;
        for (long pid : meterPids) {
          meterFds += fileDescriptors(pid);
        }
        double heapPerMeter = (usedHeapAfterGc() - heap0) / 1024.0 / s.meters();
        double threadsPerMeter = (Thread.activeCount() - threads0) / (double) s.meters();
        Timer reads = s.push() ? m.get("headend.push.delay").timer() : m.get("headend.read.latency").timer();
        double p50 = percentileMs(reads, 0.5);
        double p99 = percentileMs(reads, 0.99);
        int capacity = (int) m.get("headend.readings.queue.capacity").gauge().value();
        Push push = null;
        if (s.push()) {
          // the meters stop first and say what they sent; then the head-end stores what it accepted
          progress.accept("stopping the meters");
          meterProcesses.forEach(MeterProcess::terminate);
          long[] totals = {0, 0};
          for (MeterProcess p : meterProcesses) {
            p.stop(60);
            long[] t = pushTotals(p.logText());
            if (t == null) {
              throw new IOException("meter process " + p.pid() + " did not say how many pushes it sent: "
                  + p.logTail());
            }
            totals[0] += t[0];
            totals[1] += t[1];
          }
          double refused = m.find("headend.push.refused").counters().stream()
              .mapToDouble(io.micrometer.core.instrument.Counter::count).sum();
          double accepted = m.get("headend.push.received").tag("setup", "registers").counter().count();
          push = new Push(totals[0], totals[1], (long) accepted, (long) refused, p50, p99);
        }
        progress.accept("stopping the head-end (drains the writer's queue)");
        headend.close();
        long taken = push != null ? push.accepted() : reads.count();
        long backpressure = (long) m.get("headend.readings.backpressure").counter().count();
        long stored = storedRows(dbUrl);
        Result r = new Result(s.meters(), s.intervalSeconds(), s.transport(),
            s.database().equals("h2") || s.database().equals("postgres") ? s.database()
                : s.database().replaceAll("password=[^&]*", "password=***"), allUp,
            window, storedPerSecond, s.meters() / (double) s.intervalSeconds(), p50, p99, largestBacklog, capacity,
            backpressure, taken, stored, push != null ? push.lost(stored) : taken - stored, heapPerMeter,
            threadsPerMeter, headendCpuPercent, metersCpuPercent, metersRssMb, shares.size(), headendFds,
            meterFds / (double) s.meters(), push);
        new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT)
            .writeValue(s.out().resolve("fleet.json").toFile(), r);
        Files.writeString(s.out().resolve("report.md"), report(r));
        return r;
      } catch (Exception | Error e) {
        headend.close();
        throw e;
      }
    } finally {
      // all at once: each closes its thousands of meters meanwhile
      meterProcesses.forEach(MeterProcess::terminate);
      meterProcesses.forEach(MeterProcess::close);
      if (pg != null) {
        pg.close();
      }
    }
  }

  /** How long the bench waits for every association before it measures anyway: 5 min, or 60 ms per meter. */
  static Duration upTimeout(int meters) {
    return Duration.ofMinutes(5).compareTo(Duration.ofMillis(60L * meters)) >= 0 ? Duration.ofMinutes(5)
        : Duration.ofMillis(60L * meters);
  }

  /** Open file descriptors of a process (0 when it is gone). */
  static long fileDescriptors(long pid) {
    try (var fds = Files.list(Path.of("/proc", Long.toString(pid), "fd"))) {
      return fds.count();
    } catch (IOException | java.io.UncheckedIOException e) {
      return 0;
    }
  }

  /** Push runs: whether pushes arrive at 90 % of the target rate, from what was accepted at the last sample. */
  static boolean pushesUp(double acceptedBefore, double acceptedNow, double secondsBetween, double target) {
    return secondsBetween > 0 && (acceptedNow - acceptedBefore) / secondsBetween >= 0.9 * target;
  }

  private static double connected(MeterRegistry m) {
    return m.get("headend.meters.connected").gauge().value();
  }

  private static double percentileMs(Timer t, double p) {
    for (ValueAtPercentile v : t.takeSnapshot().percentileValues()) {
      if (v.percentile() == p) {
        return v.value(TimeUnit.MILLISECONDS);
      }
    }
    return Double.NaN;
  }

  /**
   * The meter process's lines {@code meter SERIAL listening on URL (data DIR, keys FILE)}, as head-end meters
   * {@code fleet-N} polled every {@code pollSeconds} (0: not polled, the meters push).
   */
  static List<MeterInput> awaitMeters(MeterProcess p, int meters, int pollSeconds, Path data) throws IOException {
    return awaitMeters(p, new Share(0, meters), pollSeconds, data, startTimeout(meters));
  }

  /** How long meters take to start at most: 2 min, and 50 ms per meter (thousands take minutes on 2 cores). */
  static Duration startTimeout(int meters) {
    return Duration.ofSeconds(120 + meters / 20);
  }

  /** The meters of one process of several: {@code share} says which of the fleet's they are. */
  static List<MeterInput> awaitMeters(MeterProcess p, Share share, int pollSeconds, Path data, Duration timeout)
      throws IOException {
    int meters = share.count();
    p.awaitLog(meters + " meters running", timeout);
    Matcher m = Pattern.compile("meter \\S+ listening on (\\S+) \\(data (\\S+), keys (\\S+)\\)").matcher(p.logText());
    List<MeterInput> inputs = new ArrayList<>();
    while (m.find()) {
      Path dir = Path.of(m.group(2));
      // numbered across the processes: the process's meter-0001 is the fleet's share.first() + 1
      int n = share.first() + Integer.parseInt(dir.getFileName().toString().substring("meter-".length()));
      String id = String.format("fleet-%04d", n);
      inputs.add(new MeterInput(id, m.group(1), data.relativize(Path.of(m.group(3))).toString(), null, false,
          pollSeconds, false));
    }
    if (inputs.size() != meters) {
      throw new IOException("expected " + meters + " meters, the meter process listed " + inputs.size());
    }
    return inputs;
  }

  private static String freshH2(Path out) throws IOException {
    Path db = out.resolve("db");
    if (Files.isDirectory(db)) {
      try (var files = Files.list(db)) {
        for (Path f : files.toList()) {
          Files.delete(f);
        }
      }
    }
    return db.resolve("headend").toString();
  }

  /** Readings of this run's meters in the database, after the head-end's stop. */
  private static long storedRows(String dbUrl) throws Exception {
    try (Database db = Database.open(dbUrl, null, null); Connection c = db.connection();
        PreparedStatement ps = c.prepareStatement("SELECT COUNT(*) FROM reading WHERE meter_id LIKE 'fleet-%'");
        ResultSet rs = ps.executeQuery()) {
      rs.next();
      return rs.getLong(1);
    }
  }

  /**
   * The first of {@code n} consecutive TCP ports free on 127.0.0.1 just now (for {@code meter --count N}), below
   * Linux's ephemeral range (32768-60999) when they fit: between the check and the meters' bind, outgoing
   * connections on this busy host took one of a block in that range ("Address already in use" at 2,000 meters).
   */
  public static int freeConsecutivePorts(int n) throws IOException {
    for (int attempt = 0; attempt < 50; attempt++) {
      int base = randomBase(n);
      List<ServerSocket> held = new ArrayList<>();
      try {
        for (int i = 0; i < n; i++) {
          held.add(new ServerSocket(base + i, 1, InetAddress.getLoopbackAddress()));
        }
        return base;
      } catch (IOException taken) {
        // another base
      } finally {
        for (ServerSocket s : held) {
          s.close();
        }
      }
    }
    throw new IOException("no " + n + " consecutive free ports on 127.0.0.1");
  }

  /** A first port for {@code n} consecutive ones: within 10000..32767 if they fit, else up to 60000. */
  static int randomBase(int n) {
    return n <= 32_768 - 10_000 ? ThreadLocalRandom.current().nextInt(10_000, 32_768 - n + 1)
        : ThreadLocalRandom.current().nextInt(1_024, 60_000 - n);
  }

  /** A TCP port free on 127.0.0.1 just now, between 20000 and 32767. */
  static int freePortBelowEphemeral() throws IOException {
    for (int attempt = 0; attempt < 50; attempt++) {
      int port = ThreadLocalRandom.current().nextInt(20_000, 32_768);
      try (ServerSocket s = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
        return port;
      } catch (IOException taken) {
        // another one
      }
    }
    throw new IOException("no free port between 20000 and 32767 on 127.0.0.1");
  }

  /** The first of {@code n} consecutive UDP ports free on {@code ip} just now (SCION meters listen on UDP). */
  static int freeConsecutiveUdpPorts(InetAddress ip, int n) throws IOException {
    for (int attempt = 0; attempt < 50; attempt++) {
      int base = randomBase(n);
      List<DatagramSocket> held = new ArrayList<>();
      try {
        for (int i = 0; i < n; i++) {
          held.add(new DatagramSocket(new InetSocketAddress(ip, base + i)));
        }
        return base;
      } catch (IOException taken) {
        // another base
      } finally {
        for (DatagramSocket d : held) {
          d.close();
        }
      }
    }
    throw new IOException("no " + n + " consecutive free UDP ports on " + ip.getHostAddress());
  }

  private static long usedHeapAfterGc() {
    for (int i = 0; i < 3; i++) {
      System.gc();
    }
    return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
  }

  static String report(Result r) {
    StringBuilder b = new StringBuilder();
    b.append("# Fleet benchmark\n\n");
    if (r.push() != null) {
      return pushReport(b, r);
    }
    b.append(String.format(Locale.ROOT, "%d simulated meters (%s) read every %d s over %s by one head-end,"
        + " stored in %s; measured for %.0f s once every association was up.%n%n", r.meters(), processes(r),
        r.intervalSeconds(), r.transport(), r.database(), r.windowSeconds()));
    b.append("| measure | value |\n|---|---|\n");
    row(b, "readings/s stored", "%.1f (target %.1f)", r.readingsPerSecondStored(), r.targetReadingsPerSecond());
    row(b, "read latency p50 / p99", "%.1f ms / %.1f ms", r.readLatencyP50Ms(), r.readLatencyP99Ms());
    row(b, "largest writer backlog", "%d (queue capacity %d, %d appends waited)", r.largestBacklog(),
        r.queueCapacity(), r.backpressureWaits());
    row(b, "readings taken / stored / lost", "%d / %d / %d", r.readingsTaken(), r.readingsStored(), r.readingsLost());
    row(b, "time until all associations were up", "%s", r.secondsUntilAllUp() == null ? "not within the wait"
        : String.format(Locale.ROOT, "%.1f s", r.secondsUntilAllUp()));
    row(b, "head-end heap / threads per meter", "%.1f KiB / %.2f", r.headendHeapPerMeterKiB(), r.headendThreadsPerMeter());
    row(b, "CPU head-end / meters (100 % = one core)", "%.0f %% / %.0f %%", r.headendCpuPercent(), r.metersCpuPercent());
    row(b, "meter process RSS", "%.0f MB", r.metersRssMb());
    row(b, "file descriptors: head-end (most) / meter processes per meter", "%d / %.1f",
        r.headendFileDescriptors(), r.meterFileDescriptorsPerMeter());
    b.append("\nLatency percentiles are the head-end's `headend.read.latency` over its last two minutes; readings lost"
        + " are those the head-end took from a meter that are not in the database after its clean stop.\n");
    return b.toString();
  }

  private static String pushReport(StringBuilder b, Result r) {
    Push p = r.push();
    b.append(String.format(Locale.ROOT, "%d simulated meters (%s) push their registers every %d s over %s"
        + " to one head-end's push listener (not polled), stored in %s; measured for %.0f s once the pushes arrived"
        + " at the target rate.%n%n", r.meters(), processes(r), r.intervalSeconds(), r.transport(), r.database(),
        r.windowSeconds()));
    b.append("| measure | value |\n|---|---|\n");
    row(b, "pushed readings/s stored", "%.1f (target %.1f)", r.readingsPerSecondStored(), r.targetReadingsPerSecond());
    row(b, "delay meter clock to queued for storage p50 / p99", "%.1f ms / %.1f ms", p.delayP50Ms(), p.delayP99Ms());
    row(b, "pushes sent / accepted / refused / stored / lost", "%d / %d / %d / %d / %d", p.sent(), p.accepted(),
        p.refused(), r.readingsStored(), r.readingsLost());
    row(b, "pushes the meters could not send", "%d", p.sendFailures());
    row(b, "largest writer backlog", "%d (queue capacity %d, %d appends waited)", r.largestBacklog(),
        r.queueCapacity(), r.backpressureWaits());
    row(b, "time until the pushes arrived at the target rate", "%s", r.secondsUntilAllUp() == null
        ? "never (5 min)" : String.format(Locale.ROOT, "%.1f s", r.secondsUntilAllUp()));
    row(b, "head-end heap / threads per meter", "%.1f KiB / %.2f", r.headendHeapPerMeterKiB(), r.headendThreadsPerMeter());
    row(b, "CPU head-end / meters (100 % = one core)", "%.0f %% / %.0f %%", r.headendCpuPercent(), r.metersCpuPercent());
    row(b, "meter process RSS", "%.0f MB", r.metersRssMb());
    b.append("\nThe delay is the head-end's `headend.push.delay` (its last two minutes): from the meter's clock in the"
        + " notification (the meters run on this host: one clock; DLMS date-time has 10 ms steps) to the reading"
        + " queued for the writer. Lost: sent by the meters (their count as they stopped, before the head-end) and"
        + " neither stored nor refused; pushes the meters could not send (no listener yet at the start) are not"
        + " lost but never sent.\n");
    return b.toString();
  }

  private static String processes(Result r) {
    return r.meterProcesses() == 1 ? "one process" : r.meterProcesses() + " processes";
  }

  private static void row(StringBuilder b, String name, String format, Object... values) {
    b.append("| ").append(name).append(" | ").append(String.format(Locale.ROOT, format, values)).append(" |\n");
  }
}
