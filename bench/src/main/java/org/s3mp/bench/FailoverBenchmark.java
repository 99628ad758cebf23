package org.s3mp.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.s3mp.dlms.MeterObjects;
import org.s3mp.dlms.client.ClientSecurity;
import org.s3mp.dlms.client.MeterClient;
import org.s3mp.dlms.security.KeysFile;
import org.s3mp.dlms.transport.LinkOptions;
import org.s3mp.dlms.transport.LinkPath;
import org.s3mp.dlms.transport.MeterUrl;
import org.s3mp.headend.fleet.MeterSpec;
import org.s3mp.headend.fleet.NetworkPath;
import org.s3mp.headend.polling.DlmsMeterConnector;
import org.s3mp.headend.polling.MeterConnection;
import org.s3mp.scion.IsdAs;
import org.s3mp.scion.ScionPath;
import org.s3mp.scion.daemon.DaemonClient;
import org.s3mp.testbed.Testbed;
import org.s3mp.testbed.TopologySpec.Interface;

/**
 * Failover as a utility sees it: a native SCION meter read every {@code interval} while the uplink its readings
 * take is cut and restored {@code cuts} times. Per cut: the time from the cut until the first reading over another
 * path, and the largest gap between two readings; overall: readings lost. The reader is either the CLI's client
 * ({@link MeterClient}) or the head-end's ({@link DlmsMeterConnector}), which must behave alike.
 */
public final class FailoverBenchmark {
  /** Geofenced to ISD 1 and shortest first, so the active path is one of the two disjoint uplinks. */
  static final String POLICY = "{\"name\": \"isd1-shortest\", \"allowed_isds\": [1], \"order\": \"hops\"}";
  /** Readings on the new path, after a cut or a repair, before the next step. */
  static final int STEADY = 10;

  public record Settings(int cuts, Duration interval, String client, Path out, List<String> meterCommand,
      Path testbedDir) {}

  /** One cut: which link, how long until a reading took another path, the largest gap meanwhile. */
  public record Cut(int index, String link, double switchMs, double largestGapMs, int readingsDuring) {}

  public record Result(String client, int cuts, long intervalMs, int readings, int lost, double largestGapMs,
      double maxSwitchMs, double meanSwitchMs, List<Cut> perCut, List<String> errors) {}

  /** One way of reading the meter; returns the path's hops ("IA a>b IA ...") or null. */
  interface Reader extends AutoCloseable {
    String read() throws IOException;

    @Override
    void close();
  }

  private FailoverBenchmark() {}

  public static Result run(Settings s, Consumer<String> progress) throws IOException, InterruptedException {
    if (s.cuts() < 1) {
      throw new IllegalArgumentException("--cuts must be at least 1");
    }
    if (!List.of("cli", "headend").contains(s.client())) {
      throw new IllegalArgumentException("--client must be cli or headend, not " + s.client());
    }
    Testbed tb = Testbed.attach(s.testbedDir()).orElseThrow(() -> new IOException(
        "the failover benchmark needs a running SCION testbed in " + s.testbedDir() + " (./s3mp testbed up)"));
    Files.createDirectories(s.out());
    MeterProcess.NativeMeter nm = MeterProcess.NativeMeter.in(tb, s.out());
    KeysFile keys = nm.keys();
    Path keysFile = nm.keysFile();
    MeterUrl url = nm.url();
    String headEndDaemon = tb.daemonHostPort(tb.headEnd());
    progress.accept("starting a native SCION meter at " + url);
    try (MeterProcess meter = MeterProcess.start(s.meterCommand(), List.of("--simulated", "--keys",
        keysFile.toString(), "--data", s.out().resolve("meter").toString(), "--listen", url.toString(), "--daemon",
        tb.daemonHostPort(tb.concentrator())), s.out().resolve("meter.log"));
        Reader reader = open(s.client(), url, keys, keysFile, headEndDaemon, meter)) {
      Result r = measure(s, tb, reader, progress);
      new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT)
          .writeValue(s.out().resolve("failover.json").toFile(), r);
      Files.writeString(s.out().resolve("report.md"), report(r));
      return r;
    }
  }

  private static Reader open(String client, MeterUrl url, KeysFile keys, Path keysFile, String daemon,
      MeterProcess meter) throws IOException {
    meter.awaitListening();
    long deadline = System.nanoTime() + MeterProcess.startTimeout().toNanos();
    while (true) {
      if (!meter.alive()) {
        throw new IOException("the meter exited; see " + meter.log);
      }
      try {
        return client.equals("cli") ? cliReader(url, keys, daemon) : headEndReader(url, keysFile, daemon);
      } catch (IOException notYet) {
        if (System.nanoTime() > deadline) {
          throw new IOException("the meter at " + url + " did not answer: " + notYet.getMessage() + "; meter log: "
              + meter.logTail(), notYet);
        }
      }
    }
  }

  private static Reader cliReader(MeterUrl url, KeysFile keys, String daemon) throws IOException {
    MeterClient c = MeterClient.open(url, ClientSecurity.management(keys), LinkOptions.of(MeterClient.DEFAULT_TIMEOUT)
        .with(LinkOptions.SCION_DAEMON, daemon).with(LinkOptions.PATH_POLICY, POLICY));
    return new Reader() {
      @Override
      public String read() throws IOException {
        c.readRegister(MeterObjects.ACTIVE_POWER_IMPORT);
        return c.lastPath().map(LinkPath::notation).orElse(null);
      }

      @Override
      public void close() {
        c.close();
      }
    };
  }

  private static Reader headEndReader(MeterUrl url, Path keysFile, String daemon) throws IOException {
    DlmsMeterConnector connector = new DlmsMeterConnector(daemon);
    MeterConnection c = connector.open(new MeterSpec("bench", url.toString(), keysFile.toString(), POLICY, false, 1,
        false), MeterClient.DEFAULT_TIMEOUT);
    return new Reader() {
      @Override
      public String read() throws IOException {
        NetworkPath path = c.read().path();
        return path == null ? null : path.notation();
      }

      @Override
      public void close() {
        c.close();
      }
    };
  }

  /** One reading: when it ended, whether it worked and over which path. */
  private record Sample(long endNanos, boolean ok, String path, String error) {}

  private static Result measure(Settings s, Testbed tb, Reader reader, Consumer<String> progress)
      throws IOException {
    List<Sample> samples = new ArrayList<>();
    List<Cut> cuts = new ArrayList<>();
    List<String> errors = new java.util.concurrent.CopyOnWriteArrayList<>();
    long[] next = {System.nanoTime()};
    Sampler read = () -> {
      next[0] = DelayBenchmark.pace(next[0], s.interval());
      Sample x;
      try {
        String path = reader.read();
        x = new Sample(System.nanoTime(), true, path, null);
      } catch (IOException e) {
        x = new Sample(System.nanoTime(), false, null, e.getMessage());
        errors.add(e.getMessage());
      }
      samples.add(x);
      return x;
    };
    steady(read, null, s);
    for (int i = 1; i <= s.cuts(); i++) {
      Interface uplink = uplinkOf(lastPath(samples));
      awaitPathAvoiding(tb, uplink, progress);
      int from = samples.size();
      long cutAt = System.nanoTime();
      // cut from another thread: readings go on while the routers' BFD notices it
      Thread cutter = inBackground("cut-" + i, () -> tb.linkDown(uplink), "link down " + uplink, errors);
      Sample first = steady(read, uplink, s);
      join(cutter);
      double gap = largestGap(samples.subList(Math.max(0, from - 1), samples.size()), cutAt);
      cuts.add(new Cut(i, uplink.toString(), (first.endNanos() - cutAt) / 1e6, gap, samples.size() - from));
      progress.accept(String.format(Locale.ROOT, "cut %d/%d of %s: another path after %.0f ms, largest gap %.0f ms",
          i, s.cuts(), uplink, (first.endNanos() - cutAt) / 1e6, gap));
      // restore from another thread too: linkUp waits for the routers, and readings must not pause meanwhile
      Thread restorer = inBackground("restore-" + i, () -> tb.linkUp(uplink), "link up " + uplink, errors);
      settleAfterRepair(read, restorer);
    }
    long ok = samples.stream().filter(Sample::ok).count();
    double largest = largestGap(samples, samples.isEmpty() ? 0 : samples.get(0).endNanos());
    return new Result(s.client(), s.cuts(), s.interval().toMillis(), samples.size(), (int) (samples.size() - ok),
        largest, cuts.stream().mapToDouble(Cut::switchMs).max().orElse(0),
        cuts.stream().mapToDouble(Cut::switchMs).average().orElse(0), cuts, errors);
  }

  /**
   * Waits until the head-end AS's daemon lists a path to the concentrator that avoids {@code uplink}. After a
   * link was restored the daemon can still leave out its paths for a while (it keeps the "interface down"
   * a client reported longer than the cut lasted); cutting the other uplink then would leave no path at all,
   * and the benchmark would measure that instead of a failover.
   */
  static void awaitPathAvoiding(Testbed tb, Interface uplink, Consumer<String> progress) throws IOException {
    IsdAs src = IsdAs.parse(tb.headEnd());
    IsdAs dst = IsdAs.parse(tb.concentrator());
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    try (DaemonClient daemon = DaemonClient.connect(tb.daemonHostPort(tb.headEnd()))) {
      boolean said = false;
      while (true) {
        List<ScionPath> paths = daemon.paths(src, dst, true);
        if (paths.stream().anyMatch(p -> !usesUplink(p.hops(), uplink))) {
          return;
        }
        if (System.nanoTime() > deadline) {
          throw new IOException("the daemon of " + src + " lists no path to " + dst + " that avoids " + uplink
              + " within 60 s: cutting it would leave no path");
        }
        if (!said) {
          progress.accept("waiting until the daemon of " + src + " lists a path that avoids " + uplink);
          said = true;
        }
        try {
          Thread.sleep(200); // polling the daemon: the condition has no event to wait for
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new IOException("interrupted", e);
        }
      }
    }
  }

  @FunctionalInterface
  private interface Sampler {
    Sample read() throws IOException;
  }

  /** Reads until {@link #STEADY} readings in a row avoided {@code avoid}; returns the first of them. */
  private static Sample steady(Sampler read, Interface avoid, Settings s) throws IOException {
    Sample first = null;
    int inRow = 0;
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (inRow < STEADY) {
      if (System.nanoTime() > deadline) {
        throw new IOException("readings did not settle on a path without " + avoid + " within 60 s");
      }
      Sample x = read.read();
      boolean good = x.ok() && x.path() != null && (avoid == null || !usesUplink(x.path(), avoid));
      if (good && inRow++ == 0) {
        first = x;
      } else if (!good) {
        inRow = 0;
      }
    }
    return first;
  }

  /**
   * After a repair: reads on while the link comes back, then until readings are steady again. The next cut takes
   * whichever uplink they use then (usually the repaired one, preferred again once probed healthy; the daemon may
   * also have offered a new preferred path meanwhile).
   */
  private static void settleAfterRepair(Sampler read, Thread restorer) throws IOException {
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    int inRow = 0;
    while (restorer.isAlive() || inRow < STEADY) {
      if (System.nanoTime() > deadline) {
        throw new IOException("readings did not settle within 60 s after the repair");
      }
      Sample x = read.read();
      inRow = x.ok() && x.path() != null ? inRow + 1 : 0;
    }
    join(restorer);
  }


  private interface LinkChange {
    void run() throws IOException;
  }

  /** Runs a link change on its own thread; a failure is recorded as an error of the run. */
  private static Thread inBackground(String name, LinkChange change, String what, List<String> errors) {
    Thread t = new Thread(() -> {
      try {
        change.run();
      } catch (IOException | RuntimeException e) {
        errors.add(what + ": " + e.getMessage());
      }
    }, name);
    t.start();
    return t;
  }

  private static void join(Thread t) throws IOException {
    try {
      t.join();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted", e);
    }
  }

  private static String lastPath(List<Sample> samples) throws IOException {
    for (int i = samples.size() - 1; i >= 0; i--) {
      if (samples.get(i).path() != null) {
        return samples.get(i).path();
      }
    }
    throw new IOException("no reading reported its path");
  }

  private static final Pattern LAST_HOP = Pattern.compile("(\\d+)>(\\d+) (\\S+)$");

  /** The concentrator-side interface of a path from the head-end ("[... a>b 1-ff00:0:111]"). */
  static Interface uplinkOf(String hops) {
    Matcher m = LAST_HOP.matcher(hops.replace("[", "").replace("]", "").strip());
    if (!m.find()) {
      throw new IllegalArgumentException("not a SCION path: " + hops);
    }
    return new Interface(m.group(3), Integer.parseInt(m.group(2)));
  }

  static boolean usesUplink(String hops, Interface uplink) {
    return uplinkOf(hops).equals(uplink);
  }

  /** The largest time between two successful readings (or since {@code start}), in ms. */
  static double largestGap(List<Sample> samples, long start) {
    long last = start;
    long largest = 0;
    for (Sample x : samples) {
      if (x.ok()) {
        largest = Math.max(largest, x.endNanos() - last);
        last = x.endNanos();
      }
    }
    return largest / 1e6;
  }



  static String report(Result r) {
    StringBuilder sb = new StringBuilder("# Failover benchmark\n\n");
    sb.append(String.format(Locale.ROOT, "Client: %s. One reading every %d ms, the active uplink cut and restored %d"
        + " times (policy: ISD 1 only, shortest first).%n%n", r.client(), r.intervalMs(), r.cuts()));
    sb.append("| | value | goal |\n|---|---|---|\n");
    sb.append(String.format(Locale.ROOT, "| readings | %d | |%n", r.readings()));
    sb.append(String.format(Locale.ROOT, "| readings lost | %d | 0 |%n", r.lost()));
    sb.append(String.format(Locale.ROOT, "| largest gap between two readings | %.0f ms | ≤ 1000 ms |%n",
        r.largestGapMs()));
    sb.append(String.format(Locale.ROOT, "| time to switch, mean / max | %.0f / %.0f ms | |%n%n", r.meanSwitchMs(),
        r.maxSwitchMs()));
    sb.append("| cut | link | switch ms | largest gap ms | readings meanwhile |\n|---|---|---|---|---|\n");
    for (Cut c : r.perCut()) {
      sb.append(String.format(Locale.ROOT, "| %d | %s | %.0f | %.0f | %d |%n", c.index(), c.link(), c.switchMs(),
          c.largestGapMs(), c.readingsDuring()));
    }
    if (!r.errors().isEmpty()) {
      sb.append("\nErrors:\n");
      r.errors().stream().distinct().forEach(e -> sb.append("- ").append(e).append('\n'));
    }
    return sb.toString();
  }
}
