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
import java.util.Random;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.s3mp.dlms.MeterObjects;
import org.s3mp.dlms.client.ClientSecurity;
import org.s3mp.dlms.client.FloodPdus;
import org.s3mp.dlms.client.MeterClient;
import org.s3mp.dlms.security.KeysFile;
import org.s3mp.dlms.transport.LinkOptions;
import org.s3mp.dlms.transport.MeterUrl;
import org.s3mp.scion.IsdAs;
import org.s3mp.scion.ScionAddress;
import org.s3mp.scion.ScionPath;
import org.s3mp.scion.daemon.DaemonClient;
import org.s3mp.scion.socket.ScionDatagramSocket;
import org.s3mp.testbed.Testbed;

/**
 * A bounded flood at a native SCION meter from a host in the outsider AS (not the utility's), while the head-end
 * AS reads the meter every {@code interval}: garbage, association requests and replayed ciphered requests in
 * turn. The meter trusts only the head-end AS, so the flood should be dropped before any DLMS parsing or
 * cryptography. Compares read delay and meter CPU quiet vs flooded; with hidden paths the outsider finds no path to
 * the meter at all, and the report says so instead of flooding.
 */
public final class FloodBenchmark {
  /** Upper bounds, so that a typo cannot turn the benchmark into a real attack on the machine. */
  public static final int MAX_RATE = 20_000;
  static final Duration MAX_PHASE = Duration.ofSeconds(60);
  static final String POLICY = "{\"name\": \"isd1\", \"allowed_isds\": [1]}";
  private static final Pattern DROPPED = Pattern.compile("dropped (\\d+) datagram\\(s\\) from untrusted sources in total");

  public record Settings(Duration phase, int rate, Duration interval, Path out, List<String> meterCommand,
      Path testbedDir) {
    public Settings {
      if (rate < 1 || rate > MAX_RATE) {
        throw new IllegalArgumentException("--rate must be between 1 and " + MAX_RATE + " datagrams/s, not " + rate);
      }
      if (phase.isNegative() || phase.isZero() || phase.compareTo(MAX_PHASE) > 0) {
        throw new IllegalArgumentException("--duration must be between 1 and " + MAX_PHASE.toSeconds() + " s");
      }
      if (interval.isNegative() || interval.isZero()) {
        throw new IllegalArgumentException("--interval must be positive");
      }
    }
  }

  /** Reading delays and meter CPU over one phase. */
  public record Phase(String name, DelayStats delay, double meterCpuPercent) {}

  /**
   * The whole run. {@code outsiderPath} is the path the outsider used, or null when it found none (hidden
   * paths); then nothing was sent and {@code flooded} is null.
   */
  public record Result(String outsider, String outsiderPath, int rate, long phaseSeconds, long sent, long sendErrors,
      long droppedEarly, Phase quiet, Phase flooded, List<String> errors) {}

  private FloodBenchmark() {}

  public static Result run(Settings s, Consumer<String> progress) throws IOException {
    Testbed tb = Testbed.attach(s.testbedDir()).orElseThrow(() -> new IOException(
        "the flood benchmark needs a running SCION testbed in " + s.testbedDir() + " (./s3mp testbed up)"));
    String outsider = tb.outsider().orElseThrow(() -> new IOException(
        "the testbed's topology has no outsider AS to flood from"));
    Files.createDirectories(s.out());
    MeterProcess.NativeMeter nm = MeterProcess.NativeMeter.in(tb, s.out());
    KeysFile keys = nm.keys();
    Path keysFile = nm.keysFile();
    MeterUrl url = nm.url();
    progress.accept("starting a native SCION meter at " + url + " that trusts only " + tb.headEnd());
    List<String> errors = new java.util.concurrent.CopyOnWriteArrayList<>();
    Result result;
    MeterProcess meter = MeterProcess.start(s.meterCommand(), List.of("--simulated", "--keys", keysFile.toString(),
        "--data", s.out().resolve("meter").toString(), "--listen", url.toString(), "--trust", tb.headEnd(),
        "--daemon", tb.daemonHostPort(tb.concentrator())), s.out().resolve("meter.log"));
    try {
      meter.awaitListening();
      ProcessSampler cpu = new ProcessSampler(List.of(meter.pid()));
      try (MeterClient reader = openReader(url, keys, tb.daemonHostPort(tb.headEnd()),
          meter);
          Flooder flooder = Flooder.open(tb, outsider, url, keys)) {
        progress.accept("quiet: reading every " + s.interval().toMillis() + " ms for " + s.phase().toSeconds() + " s");
        Phase quiet = phase("quiet", reader, s, cpu, errors);
        Phase flooded = null;
        if (flooder.path == null) {
          progress.accept(outsider + " finds no path to " + tb.concentrator() + " (hidden paths): nothing to flood");
        } else {
          progress.accept("flooded: " + s.rate() + " datagrams/s from " + outsider + " over " + flooder.path);
          flooder.start(s.rate(), s.phase().plusSeconds(1));
          flooded = phase("flooded", reader, s, cpu, errors);
          flooder.stop();
        }
        result = new Result(outsider, flooder.path, s.rate(), s.phase().toSeconds(), flooder.sent.get(),
            flooder.sendErrors.get(), 0, quiet, flooded, errors);
      }
    } finally {
      meter.close(); // SIGTERM: the meter logs its final count of dropped datagrams
    }
    result = new Result(result.outsider(), result.outsiderPath(), result.rate(), result.phaseSeconds(), result.sent(),
        result.sendErrors(), droppedEarly(Files.readString(meter.log)), result.quiet(), result.flooded(), errors);
    new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(s.out().resolve("flood.json").toFile(),
        result);
    Files.writeString(s.out().resolve("report.md"), report(result));
    return result;
  }

  private static MeterClient openReader(MeterUrl url, KeysFile keys, String daemon, MeterProcess meter)
      throws IOException {
    long deadline = System.nanoTime() + MeterProcess.startTimeout().toNanos();
    while (true) {
      try {
        return MeterClient.open(url, ClientSecurity.management(keys), LinkOptions.of(MeterClient.DEFAULT_TIMEOUT)
            .with(LinkOptions.SCION_DAEMON, daemon).with(LinkOptions.PATH_POLICY, POLICY));
      } catch (IOException notYet) {
        if (!meter.alive() || System.nanoTime() > deadline) {
          throw new IOException("the meter at " + url + " did not answer: " + notYet.getMessage() + "; meter log: "
              + meter.logTail(), notYet);
        }
      }
    }
  }

  private static Phase phase(String name, MeterClient reader, Settings s, ProcessSampler cpu, List<String> errors)
      throws IOException {
    List<Reading> readings = new ArrayList<>();
    long ticks = cpu.cpuTicks();
    long start = System.nanoTime();
    long end = start + s.phase().toNanos();
    long due = start;
    for (int i = 0; System.nanoTime() < end; i++) {
      due = DelayBenchmark.pace(due, s.interval());
      long t0 = System.nanoTime();
      try {
        reader.readRegister(MeterObjects.ACTIVE_POWER_IMPORT);
        readings.add(new Reading(name, i, System.currentTimeMillis(), (System.nanoTime() - t0) / 1000, true, null,
            null));
      } catch (IOException e) {
        readings.add(new Reading(name, i, System.currentTimeMillis(), (System.nanoTime() - t0) / 1000, false, null,
            e.getMessage()));
        errors.add(name + ": " + e.getMessage());
      }
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    double cpuPercent = 100.0 * (cpu.cpuTicks() - ticks) / ProcessSampler.TICKS_PER_SECOND / seconds;
    return new Phase(name, DelayStats.of(readings), cpuPercent);
  }

  /** The meter's final count of datagrams dropped from untrusted sources (0 when it logged none). */
  static long droppedEarly(String meterLog) {
    Matcher m = DROPPED.matcher(meterLog);
    long last = 0;
    while (m.find()) {
      last = Long.parseLong(m.group(1));
    }
    return last;
  }

  /** A SCION socket in the outsider AS sending the three kinds of PDU in turn at a paced rate. */
  private static final class Flooder implements AutoCloseable {
    final DaemonClient daemon;
    final ScionDatagramSocket socket;
    final ScionAddress target;
    final ScionPath scionPath;
    final String path;
    final List<byte[]> pdus = new ArrayList<>();
    final AtomicLong sent = new AtomicLong();
    final AtomicLong sendErrors = new AtomicLong();
    final AtomicBoolean stop = new AtomicBoolean();
    Thread thread;

    private Flooder(DaemonClient daemon, ScionDatagramSocket socket, ScionAddress target, ScionPath scionPath) {
      this.daemon = daemon;
      this.socket = socket;
      this.target = target;
      this.scionPath = scionPath;
      this.path = scionPath == null ? null : scionPath.hops();
    }

    static Flooder open(Testbed tb, String outsider, MeterUrl url, KeysFile keys) throws IOException {
      DaemonClient daemon = DaemonClient.connect(tb.daemonHostPort(outsider));
      try {
        ScionDatagramSocket socket = ScionDatagramSocket.open(daemon, tb.hostAddress(outsider), 0);
        ScionAddress target = ScionAddress.parse(url.address());
        List<ScionPath> paths = daemon.paths(IsdAs.parse(outsider), target.isdAs(), true);
        Flooder f = new Flooder(daemon, socket, target, paths.isEmpty() ? null : paths.get(0));
        Random random = new Random(42);
        for (int i = 0; i < 64; i++) {
          f.pdus.add(FloodPdus.garbage(random, 200));
          f.pdus.add(FloodPdus.associationRequest(i % 2 == 0 ? ClientSecurity.publicClient()
              : ClientSecurity.management(keys)));
          f.pdus.add(FloodPdus.staleRequest(keys, 1 + i));
        }
        return f;
      } catch (IOException | RuntimeException e) {
        daemon.close();
        throw e;
      }
    }

    void start(int rate, Duration limit) {
      long maxCount = rate * limit.toSeconds();
      thread = new Thread(() -> {
        // bursts every 10 ms: the rate holds without a thread per datagram or a busy loop
        long tick = 10_000_000L;
        long perTick = Math.max(1, rate / 100);
        long next = System.nanoTime();
        int i = 0;
        while (!stop.get() && sent.get() + sendErrors.get() < maxCount) {
          for (long k = 0; k < perTick; k++) {
            try {
              socket.send(pdus.get(i++ % pdus.size()), target, scionPath);
              sent.incrementAndGet();
            } catch (IOException e) {
              sendErrors.incrementAndGet();
            }
          }
          next += tick;
          LockSupport.parkNanos(next - System.nanoTime());
        }
      }, "flood");
      thread.setDaemon(true);
      thread.start();
    }

    void stop() {
      stop.set(true);
      if (thread != null) {
        try {
          thread.join(5_000);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
    }

    @Override
    public void close() {
      stop();
      socket.close();
      daemon.close();
    }
  }

  public static String report(Result r) {
    StringBuilder md = new StringBuilder("# Flood at a native SCION meter\n\n");
    md.append(String.format(Locale.ROOT, "From the outsider AS %s at %d datagrams/s for %d s per phase (garbage,"
        + " association requests and replayed ciphered requests in turn); the head-end AS reads the meter meanwhile."
        + " The meter trusts only the head-end AS.%n%n", r.outsider(), r.rate(), r.phaseSeconds()));
    if (r.flooded() == null) {
      md.append("**The outsider found no path to the meter** (hidden paths): it could not send a single datagram.\n\n");
    } else {
      md.append("Path used by the outsider: `").append(r.outsiderPath()).append("`\n\n");
    }
    md.append("| | quiet | flooded | flooded / quiet |\n|---|---|---|---|\n");
    Phase q = r.quiet();
    Phase f = r.flooded();
    row(md, "read p50 (ms)", q.delay().p50(), f == null ? Double.NaN : f.delay().p50());
    row(md, "read p99 (ms)", q.delay().p99(), f == null ? Double.NaN : f.delay().p99());
    row(md, "meter CPU (%)", q.meterCpuPercent(), f == null ? Double.NaN : f.meterCpuPercent());
    md.append(String.format(Locale.ROOT, "| readings ok / failed | %d / %d | %s | |%n", q.delay().count(),
        q.delay().failures(), f == null ? "-" : f.delay().count() + " / " + f.delay().failures()));
    md.append(String.format(Locale.ROOT, "%n- datagrams sent by the outsider: %d (send errors: %d)%n"
        + "- dropped by the meter before any DLMS parsing or cryptography: %d%n", r.sent(), r.sendErrors(),
        r.droppedEarly()));
    if (!r.errors().isEmpty()) {
      md.append("\nErrors:\n");
      r.errors().stream().distinct().limit(20).forEach(e -> md.append("- ").append(e).append('\n'));
    }
    return md.toString();
  }

  private static void row(StringBuilder md, String what, double quiet, double flooded) {
    md.append(String.format(Locale.ROOT, "| %s | %.2f | %s | %s |%n", what, quiet,
        Double.isNaN(flooded) ? "-" : String.format(Locale.ROOT, "%.2f", flooded),
        Double.isNaN(flooded) || quiet == 0 ? "-" : String.format(Locale.ROOT, "%.2f", flooded / quiet)));
  }
}
