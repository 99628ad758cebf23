package org.s3mp.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.dataformat.csv.CsvGenerator;
import com.fasterxml.jackson.dataformat.csv.CsvMapper;
import com.fasterxml.jackson.dataformat.csv.CsvSchema;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.s3mp.dlms.MeterObjects;
import org.s3mp.dlms.client.ClientSecurity;
import org.s3mp.dlms.client.MeterClient;
import org.s3mp.dlms.security.KeysFile;
import org.s3mp.dlms.transport.LinkOptions;
import org.s3mp.dlms.transport.LinkPath;
import org.s3mp.dlms.transport.MeterUrl;
import org.s3mp.testbed.SigNetwork;
import org.s3mp.testbed.Testbed;

/**
 * The paper's evaluation (section V): single-register DLMS GETs on an open association, one every
 * {@code interval}, against the same simulated meter source in each mode, the modes run in alternating blocks so
 * that drift of the machine hits all of them alike. Modes: {@code native} (DLMS over our SCION end host),
 * {@code sig} (plain TCP through the testbed's SCION-IP gateways, meter in the concentrator's namespace) and
 * {@code ip} (plain TCP on loopback). Measures per reading the delay and path, per mode the meter-side CPU and RSS
 * (from /proc, only while that mode runs; in SIG mode the meter-side gateway counts too) and, for native SCION,
 * the round trip of the path itself (SCMP echo) as the network's own share of the delay.
 */
public final class DelayBenchmark {
  /** Readings per mode before switching to the next mode. */
  static final int BLOCK = 10;
  /** The modes, in the order they run. */
  public static final List<String> MODES = List.of("native", "sig", "ip");
  /** The meter's TCP port in SIG mode; not 4059, which a meter started by hand in that namespace may hold. */
  static final int SIG_METER_PORT = 14059;

  /**
   * What to run. {@code meterCommand} starts a meter agent process ({@code java -cp ... S3mp meter}).
   * {@code warmup} readings per mode, paced and alternating like the measured ones, run first and are not counted:
   * a head-end reads its meters for months, so the steady state is what it pays, not the JIT's first minutes.
   */
  public record Settings(List<String> modes, int readings, int warmup, Duration interval, Path out,
      List<String> meterCommand, Path testbedDir) {
    /** The default of {@code --warmup}. */
    public static final int DEFAULT_WARMUP = 100;
  }

  /** Per-mode results, as written to summary.json. */
  public record ModeResult(String mode, DelayStats delay, double meterCpuPercent, double meterRssMb,
      double meterRssMaxMb, Double pathRoundTripMs, String meterUrl, List<String> meterSideProcesses,
      ReadingCost cost) {}

  /**
   * What one reading costs, averaged over the mode's readings: meter-side CPU (from /proc, 10 ms ticks, so only
   * meaningful over many readings), the client's CPU on the reading thread and in its whole process (SCION
   * clients have receiver threads), and the bytes the reading thread allocated.
   */
  public record ReadingCost(double meterCpuMicros, double clientThreadCpuMicros, double clientProcessCpuMicros,
      double clientAllocatedBytes) {}

  private DelayBenchmark() {}

  public static Map<String, ModeResult> run(Settings s, Consumer<String> progress) throws IOException {
    for (String m : s.modes()) {
      if (!MODES.contains(m)) {
        throw new IllegalArgumentException("unknown mode " + m + " (available: " + String.join(", ", MODES) + ")");
      }
    }
    if (s.readings() < 1 || s.warmup() < 0) {
      throw new IllegalArgumentException("--readings must be at least 1 and --warmup not negative");
    }
    Files.createDirectories(s.out());
    Path keys = s.out().resolve("bench.keys");
    KeysFile k = KeysFile.generate(new byte[] {'S', '3', 'M', 'B', 'E', 'N', 'C', 'H'},
        new byte[] {'S', '3', 'M', 'M', 'E', 'T', 'E', 'R'});
    k.save(keys);
    List<ModeRun> runs = new ArrayList<>();
    try {
      for (String mode : s.modes()) {
        progress.accept("starting the " + mode + " meter");
        runs.add(ModeRun.start(mode, s, keys));
      }
      for (ModeRun r : runs) {
        r.associate(k);
      }
      // one schedule for both: the measured readings keep the warm-up's pace
      long[] next = {System.nanoTime()};
      if (s.warmup() > 0) {
        progress.accept("warming up: " + s.warmup() + " readings per mode, not counted");
        int failed = alternate(runs, s.warmup(), s.interval(), next, false, done -> { });
        if (failed > 0) {
          progress.accept("  " + failed + " warm-up readings failed");
        }
      }
      progress.accept("measuring " + s.readings() + " readings per mode, " + s.interval().toMillis()
          + " ms apart, modes alternating in blocks of " + BLOCK);
      alternate(runs, s.readings(), s.interval(), next, true,
          done -> progress.accept("  " + done + "/" + s.readings()));
      Map<String, ModeResult> results = new LinkedHashMap<>();
      Map<String, List<Reading>> readings = new LinkedHashMap<>();
      for (ModeRun r : runs) {
        results.put(r.mode, r.result(s.interval()));
        readings.put(r.mode, r.readings);
        writeCsv(s.out().resolve("delays-" + r.mode + ".csv"), r.readings);
      }
      new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT)
          .writeValue(s.out().resolve("summary.json").toFile(), results);
      CdfChart.write(readings, s.out().resolve("cdf.png"));
      Files.writeString(s.out().resolve("report.md"), BenchReport.markdown(results, s));
      return results;
    } finally {
      for (ModeRun r : runs) {
        r.close();
      }
    }
  }

  /**
   * {@code perMode} readings of each mode, one every {@code interval} from {@code next[0]} on (advanced), the
   * modes alternating in blocks of {@link #BLOCK}; {@code counted} ones are recorded with their cost, the others
   * only tried. {@code roundDone} is told the readings per mode done after each round of blocks. Returns how many
   * readings failed.
   */
  private static int alternate(List<ModeRun> runs, int perMode, Duration interval, long[] next, boolean counted,
      java.util.function.IntConsumer roundDone) throws IOException {
    int failed = 0;
    for (int done = 0; done < perMode; done += BLOCK) {
      for (ModeRun r : runs) {
        if (counted) {
          r.blockStart();
        }
        for (int i = done; i < Math.min(perMode, done + BLOCK); i++) {
          next[0] = pace(next[0], interval);
          failed += r.read(i, counted) ? 0 : 1;
        }
        if (counted) {
          r.blockEnd();
        }
      }
      roundDone.accept(Math.min(perMode, done + BLOCK));
    }
    return failed;
  }

  /** Waits until the next reading is due: the interval is the experiment's pacing, not a synchronisation. */


  static long pace(long due, Duration interval) {
    long now = System.nanoTime();
    if (due > now) {
      try {
        Thread.sleep((due - now) / 1_000_000, (int) ((due - now) % 1_000_000));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted");
      }
    }
    return Math.max(due, now) + interval.toNanos();
  }

  private static final CsvSchema CSV = CsvSchema.builder().addNumberColumn("index").addNumberColumn("started_ms")
      .addNumberColumn("delay_us").addBooleanColumn("ok").addColumn("path").addColumn("error").build().withHeader();

  static void writeCsv(Path file, List<Reading> readings) throws IOException {
    List<List<Object>> rows = new ArrayList<>();
    for (Reading r : readings) {
      rows.add(java.util.Arrays.asList(r.index(), r.startedEpochMillis(), r.delayMicros(), r.ok(),
          r.path() == null ? "" : r.path(), r.error() == null ? "" : r.error()));
    }
    CsvMapper mapper = new CsvMapper();
    mapper.enable(CsvGenerator.Feature.ALWAYS_QUOTE_STRINGS);
    mapper.writer(CSV).writeValue(file.toFile(), rows);
  }

  /** One mode: its meter process, the client's open association and what was measured. */
  private static final class ModeRun implements AutoCloseable {
    final String mode;
    final MeterProcess meter;
    final MeterUrl url;
    final LinkOptions options;
    final ProcessSampler sampler;
    final List<Reading> readings = new ArrayList<>();
    final Testbed testbed;
    final List<String> meterSide;
    /** What the CSV says for the path when the client cannot see it (SIG: the gateway picks it). */
    final String unseenPath;
    MeterClient client;
    final ClientMeters clientMeters = new ClientMeters();
    long ticks;
    long blockStartTicks;
    long blockStartNanos;
    long wallNanos;
    long rssSumKb;
    long rssMaxKb;
    int rssSamples;

    /** {@code testbed} is set for native mode (the path round trip); {@code gatewayPid} for SIG mode. */
    private ModeRun(String mode, MeterProcess meter, MeterUrl url, LinkOptions options, Testbed testbed,
        Long gatewayPid) {
      this.mode = mode;
      this.meter = meter;
      this.url = url;
      this.options = options;
      this.testbed = testbed;
      this.sampler = new ProcessSampler(gatewayPid == null ? List.of(meter.pid()) : List.of(meter.pid(), gatewayPid));
      this.meterSide = gatewayPid == null ? List.of("meter agent") : List.of("meter agent", "SCION-IP gateway");
      this.unseenPath = gatewayPid == null ? null : "SCION path chosen by the gateway";
    }

    static ModeRun start(String mode, Settings s, Path keys) throws IOException {
      Path data = s.out().resolve("meter-" + mode);
      List<String> common = List.of("--simulated", "--seed", "42", "--keys", keys.toString(), "--data",
          data.toString());
      Duration timeout = Duration.ofSeconds(1);
      if (mode.equals("ip")) {
        int port;
        try (ServerSocket ss = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
          port = ss.getLocalPort();
        }
        MeterUrl url = MeterUrl.parse("tcp://127.0.0.1:" + port);
        List<String> args = new ArrayList<>(common);
        args.addAll(List.of("--listen", url.toString()));
        return new ModeRun(mode, MeterProcess.start(s.meterCommand(), args, s.out().resolve("meter-ip.log")), url,
            LinkOptions.of(timeout), null, null);
      }
      Testbed tb = Testbed.attach(s.testbedDir()).orElseThrow(() -> new IOException(
          mode + " mode needs a running SCION testbed in " + s.testbedDir() + " (./s3mp testbed up"
              + (mode.equals("sig") ? " --sig)" : ")")));
      if (mode.equals("sig")) {
        SigNetwork sig = tb.sig().orElseThrow(() -> new IOException("sig mode needs a testbed with SCION-IP gateways;"
            + " the one in " + s.testbedDir() + " was started without --sig (./s3mp testbed down; ./s3mp testbed up"
            + " --sig)"));
        String gateway = SigNetwork.gatewayProcessName(tb.concentrator());
        long gatewayPid = tb.processes().stream().filter(p -> p.name().equals(gateway) && p.running())
            .mapToLong(Testbed.ProcessStatus::pid).findFirst()
            .orElseThrow(() -> new IOException("the " + gateway + " process of the testbed is not running"));
        // an ordinary TCP meter: that it crosses SCION is the gateways' business
        MeterUrl url = MeterUrl.parse("tcp://" + sig.meterAddress().getHostAddress() + ":" + SIG_METER_PORT);
        List<String> args = new ArrayList<>(common);
        args.addAll(List.of("--listen", url.toString()));
        return new ModeRun(mode, MeterProcess.start(sig.inMeterNamespace(s.meterCommand()), args,
            s.out().resolve("meter-sig.log")), url, LinkOptions.of(timeout), null, gatewayPid);
      }
      String ip = tb.hostAddress(tb.concentrator()).getHostAddress();
      int port;
      try (DatagramSocket ds = new DatagramSocket(new InetSocketAddress(ip, 0))) {
        port = ds.getLocalPort();
      }
      MeterUrl url = MeterUrl.parse("scion://" + tb.concentrator() + ",[" + ip + "]:" + port);
      List<String> args = new ArrayList<>(common);
      // static keys: the meter needs nothing of the daemon that its AS's topology file does not say
      args.addAll(List.of("--listen", url.toString(), "--scion-topology",
          tb.configDir(tb.concentrator()).resolve("topology.json").toString()));
      LinkOptions o = LinkOptions.of(timeout).with(LinkOptions.SCION_DAEMON, tb.daemonHostPort(tb.headEnd()));
      return new ModeRun(mode, MeterProcess.start(s.meterCommand(), args, s.out().resolve("meter-native.log")),
          url, o, tb, null);
    }

    /** Opens the association once the meter answers (it may still be starting). */
    void associate(KeysFile keys) throws IOException {
      meter.awaitListening();
      long deadline = System.nanoTime() + MeterProcess.startTimeout().toNanos();
      IOException last = null;
      while (System.nanoTime() < deadline) {
        if (!meter.alive()) {
          throw new IOException("the " + mode + " meter exited; see " + meter.log);
        }
        try {
          client = MeterClient.open(url, ClientSecurity.management(keys), options);
          return;
        } catch (IOException e) {
          last = e;
        }
      }
      throw new IOException("the " + mode + " meter at " + url + " did not answer: "
          + (last == null ? "" : last.getMessage()) + "; meter log: " + meter.logTail());
    }

    void blockStart() throws IOException {
      blockStartTicks = sampler.cpuTicks();
      blockStartNanos = System.nanoTime();
      clientMeters.start();
    }

    void blockEnd() throws IOException {
      clientMeters.stop();
      ticks += sampler.cpuTicks() - blockStartTicks;
      wallNanos += System.nanoTime() - blockStartNanos;
      // once a block, after the client's meters stopped: reading /proc/PID/status after every reading cost the
      // reading thread a third of its CPU and allocation (profile), which then passed for the client's cost
      long rss = sampler.rssKb();
      rssSumKb += rss;
      rssMaxKb = Math.max(rssMaxKb, rss);
      rssSamples++;
    }

    /** One reading, recorded if {@code counted} (else a warm-up one); false if it failed. */
    boolean read(int index, boolean counted) throws IOException {
      long started = System.currentTimeMillis();
      long t0 = System.nanoTime();
      boolean ok;
      try {
        client.readRegister(MeterObjects.ACTIVE_POWER_IMPORT);
        long us = (System.nanoTime() - t0) / 1000;
        ok = true;
        if (counted) {
          readings.add(new Reading(mode, index, started, us, true,
              client.lastPath().map(LinkPath::notation).orElse(unseenPath), null));
        }
      } catch (IOException e) {
        ok = false;
        if (counted) {
          readings.add(new Reading(mode, index, started, (System.nanoTime() - t0) / 1000, false, null,
              e.getMessage()));
        }
      }
      return ok;
    }

    ModeResult result(Duration interval) throws IOException {
      double cpu = wallNanos == 0 ? 0 : 100.0 * ticks / ProcessSampler.TICKS_PER_SECOND / (wallNanos / 1e9);
      Double rtt = null;
      if (testbed != null) {
        rtt = PathRoundTrip.median(testbed, url, options, client.lastPath(), interval).map(d -> d.toNanos() / 1e6)
            .orElse(null);
      }
      int n = Math.max(1, readings.size());
      ReadingCost cost = new ReadingCost(ticks * 1e6 / ProcessSampler.TICKS_PER_SECOND / n,
          clientMeters.threadCpuNanos / 1e3 / n, clientMeters.processCpuNanos / 1e3 / n,
          (double) clientMeters.allocatedBytes / n);
      return new ModeResult(mode, DelayStats.of(readings), cpu, rssSamples == 0 ? 0 : rssSumKb / 1024.0 / rssSamples,
          rssMaxKb / 1024.0, rtt, url.toString(), meterSide, cost);
    }

    @Override
    public void close() {
      if (client != null) {
        client.close();
      }
      meter.close();
    }
  }

  /** The client's own cost while a block of readings runs: reading thread CPU and allocation, process CPU. */
  private static final class ClientMeters {
    private static final com.sun.management.ThreadMXBean THREADS =
        (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    private static final com.sun.management.OperatingSystemMXBean OS =
        (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
    long threadCpuNanos;
    long processCpuNanos;
    long allocatedBytes;
    private long thread0;
    private long process0;
    private long allocated0;

    void start() {
      long id = Thread.currentThread().getId();
      thread0 = THREADS.getThreadCpuTime(id);
      allocated0 = THREADS.getThreadAllocatedBytes(id);
      process0 = OS.getProcessCpuTime();
    }

    void stop() {
      long id = Thread.currentThread().getId();
      threadCpuNanos += THREADS.getThreadCpuTime(id) - thread0;
      allocatedBytes += THREADS.getThreadAllocatedBytes(id) - allocated0;
      processCpuNanos += OS.getProcessCpuTime() - process0;
    }
  }
}
