package org.s3mp.app;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.s3mp.bench.DelayBenchmark;
import org.s3mp.bench.FailoverBenchmark;
import org.s3mp.bench.FloodBenchmark;
import org.s3mp.bench.FleetBenchmark;
import org.s3mp.bench.TakeoverBenchmark;
import org.s3mp.bench.jmh.RequestPathBenchmark;
import org.openjdk.jmh.results.format.ResultFormatType;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;
import org.s3mp.testbed.S3mpHome;
import org.s3mp.testbed.Testbed;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code s3mp bench ...}: the paper's evaluation. */
@Command(name = "bench", mixinStandardHelpOptions = true, description = "Benchmarks of the paper's evaluation.",
    subcommands = {BenchCommand.Delay.class, BenchCommand.Failover.class, BenchCommand.Flood.class, BenchCommand.Fleet.class,
        BenchCommand.Takeover.class, BenchCommand.Firmware.class,
        BenchCommand.Jmh.class})
final class BenchCommand {

  /** The simulated meters of the fleet and takeover benches and how often each is read. */
  static final class SimulatedFleet {
    @Option(names = "--meters", defaultValue = "100", paramLabel = "N",
        description = "Simulated meters (default: ${DEFAULT-VALUE}).")
    int meters;

    @Option(names = "--interval", defaultValue = "1", paramLabel = "S",
        description = "Seconds between two readings of a meter (default: ${DEFAULT-VALUE}).")
    int intervalSeconds;
  }

  /** Where the benches that need a testbed write their results, and which testbed they use. */
  static final class Output {
    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Output folder.")
    Path out;

    @Option(names = "--testbed-dir", paramLabel = "DIR", description = "Run folder of the testbed (default: run/testbed).")
    Path testbedDir;

    Path testbedDir() {
      return testbedDir != null ? testbedDir : Testbed.defaultRunDir();
    }
  }

  @Command(name = "delay", mixinStandardHelpOptions = true,
      description = "DLMS reading delay natively over SCION vs through SCION-IP gateways vs plain IP (section V of"
          + " the paper): single-register GETs on an open association, modes in alternating blocks, meter-side"
          + " CPU/RSS, path round trip; writes CSVs, summary.json, cdf.png and report.md. Needs a running testbed"
          + " for native mode (./s3mp testbed up) and one started with --sig for sig mode (root).")
  static final class Delay implements Callable<Integer> {
    @Option(names = "--mode", defaultValue = "all", paramLabel = "native|sig|ip|all",
        description = "Which transport (default: ${DEFAULT-VALUE} = native, sig and ip).")
    String mode;

    @Option(names = "--readings", defaultValue = "500", paramLabel = "N",
        description = "Readings per mode (default: ${DEFAULT-VALUE}).")
    int readings;

    @Option(names = "--interval", defaultValue = "500", paramLabel = "MS",
        description = "Time between readings (default: ${DEFAULT-VALUE}).")
    long intervalMs;

    @Option(names = "--warmup", defaultValue = "" + DelayBenchmark.Settings.DEFAULT_WARMUP, paramLabel = "N",
        description = "Readings per mode before the measurement, paced the same and not counted (default:"
            + " ${DEFAULT-VALUE}); 0 measures from the first reading on, JIT warm-up included.")
    int warmup;

    @picocli.CommandLine.Mixin Output output;

    @Override
    public Integer call() throws Exception {
      List<String> modes;
      if (mode.equals("all")) {
        modes = DelayBenchmark.MODES;
      } else if (DelayBenchmark.MODES.contains(mode)) {
        modes = List.of(mode);
      } else {
        throw new S3mp.UsageError("--mode must be native, sig, ip or all, not " + mode);
      }
      if (readings < 1 || intervalMs < 0 || warmup < 0) {
        throw new S3mp.UsageError("--readings must be at least 1, --interval and --warmup not negative");
      }
      Map<String, DelayBenchmark.ModeResult> results = DelayBenchmark.run(new DelayBenchmark.Settings(modes, readings,
          warmup, Duration.ofMillis(intervalMs), output.out, meterCommand(), output.testbedDir()),
          line -> System.out.println("bench: " + line));
      for (DelayBenchmark.ModeResult r : results.values()) {
        System.out.printf("%-7s %4d ok %3d failed  mean %.3f ms  p50 %.3f  p95 %.3f  p99 %.3f  meter-side CPU %.2f %%"
            + "  RSS %.1f MB%s%n", r.mode(), r.delay().count(), r.delay().failures(),
            r.delay().mean(), r.delay().p50(), r.delay().p95(), r.delay().p99(),
            r.meterCpuPercent(), r.meterRssMb(),
            r.pathRoundTripMs() == null ? "" : String.format("  path RTT %.3f ms", r.pathRoundTripMs()));
        System.out.printf("        per reading: meter CPU %.0f us, client CPU %.0f us (thread) %.0f us (process),"
            + " client allocated %.0f bytes%n", r.cost().meterCpuMicros(), r.cost().clientThreadCpuMicros(),
            r.cost().clientProcessCpuMicros(), r.cost().clientAllocatedBytes());
      }
      System.out.println("bench: report in " + output.out.resolve("report.md"));
      return results.values().stream().allMatch(r -> r.delay().failures() == 0) ? 0 : 1;
    }
  }

  @Command(name = "failover", mixinStandardHelpOptions = true,
      description = "Reads a native SCION meter every --interval ms while cutting and restoring the active uplink"
          + " --cuts times; reports readings lost, the largest gap between two readings and the time to switch per"
          + " cut (failover.json, report.md). Needs a running testbed (./s3mp testbed up).")
  static final class Failover implements Callable<Integer> {
    @Option(names = "--cuts", defaultValue = "10", paramLabel = "N", description = "Cuts (default: ${DEFAULT-VALUE}).")
    int cuts;

    @Option(names = "--interval", defaultValue = "100", paramLabel = "MS",
        description = "Time between readings (default: ${DEFAULT-VALUE}).")
    long intervalMs;

    @Option(names = "--client", defaultValue = "cli", paramLabel = "cli|headend",
        description = "Whose DLMS client reads: the CLI's or the head-end's (default: ${DEFAULT-VALUE}).")
    String client;

    @picocli.CommandLine.Mixin Output output;

    @Override
    public Integer call() throws Exception {
      if (cuts < 1 || intervalMs < 1) {
        throw new S3mp.UsageError("--cuts and --interval must be at least 1");
      }
      if (!client.equals("cli") && !client.equals("headend")) {
        throw new S3mp.UsageError("--client must be cli or headend, not " + client);
      }
      FailoverBenchmark.Result r = FailoverBenchmark.run(new FailoverBenchmark.Settings(cuts,
          Duration.ofMillis(intervalMs), client, output.out, meterCommand(), output.testbedDir()),
          line -> System.out.println("bench: " + line));
      System.out.printf("%s client: %d readings, %d lost, largest gap %.0f ms, switch mean %.0f ms max %.0f ms%n",
          r.client(), r.readings(), r.lost(), r.largestGapMs(), r.meanSwitchMs(), r.maxSwitchMs());
      System.out.println("bench: report in " + output.out.resolve("report.md"));
      return r.lost() == 0 ? 0 : 1;
    }
  }

  @Command(name = "flood", mixinStandardHelpOptions = true,
      description = "A bounded flood (garbage, association requests, replayed ciphered requests) from a host in the"
          + " outsider AS at a native SCION meter that trusts only the head-end AS, while the head-end AS reads it"
          + " every --interval ms: read delay and meter CPU quiet vs flooded, datagrams the meter dropped before any"
          + " DLMS parsing (flood.json, report.md). With hidden paths the outsider finds no path, and nothing is sent."
          + " Loopback only; needs a running testbed (./s3mp testbed up).")
  static final class Flood implements Callable<Integer> {
    @Option(names = "--rate", defaultValue = "2000", paramLabel = "N",
        description = "Datagrams per second from the outsider, at most " + FloodBenchmark.MAX_RATE
            + " (default: ${DEFAULT-VALUE}).")
    int rate;

    @Option(names = "--duration", defaultValue = "10", paramLabel = "S",
        description = "Seconds of each phase, quiet and flooded, at most 60 (default: ${DEFAULT-VALUE}).")
    long seconds;

    @Option(names = "--interval", defaultValue = "100", paramLabel = "MS",
        description = "Time between readings (default: ${DEFAULT-VALUE}).")
    long intervalMs;

    @picocli.CommandLine.Mixin Output output;

    @Override
    public Integer call() throws Exception {
      FloodBenchmark.Settings settings;
      try {
        settings = new FloodBenchmark.Settings(Duration.ofSeconds(seconds), rate, Duration.ofMillis(intervalMs),
            output.out, meterCommand(), output.testbedDir());
      } catch (IllegalArgumentException e) {
        throw new S3mp.UsageError(e.getMessage());
      }
      FloodBenchmark.Result r = FloodBenchmark.run(settings, line -> System.out.println("bench: " + line));
      System.out.print(FloodBenchmark.report(r));
      System.out.println("bench: report in " + output.out.resolve("report.md"));
      boolean readsFailed = r.quiet().delay().failures() > 0 || (r.flooded() != null && r.flooded().delay().failures() > 0);
      return readsFailed ? 1 : 0;
    }
  }

  @Command(name = "fleet", mixinStandardHelpOptions = true,
      description = "A fleet on this machine: --meters simulated meters (s3mp meter --count, at most"
          + " --meters-per-process in each process, on consecutive ports) read every"
          + " --interval s by a head-end storing into --db; after the associations are up, measures for --duration s"
          + " the readings/s stored, read latency p50/p99, the writer's largest backlog, heap and threads per meter"
          + " and CPU, then stops the head-end and counts the readings lost (fleet.json, report.md). Exit code 1 when"
          + " any reading was lost. With --transport scion the meters listen in the testbed's concentrator AS and the"
          + " head-end reads them from the head-end AS through the testbed's routers (the testbed running in"
          + " --testbed-dir, or one started there for the run).")
  static final class Fleet implements Callable<Integer> {
    @Mixin
    SimulatedFleet fleet;

    @Option(names = "--duration", defaultValue = "60", paramLabel = "S",
        description = "Seconds measured once all associations are up (default: ${DEFAULT-VALUE}).")
    int durationSeconds;

    @Option(names = "--transport", defaultValue = "tcp", paramLabel = "tcp|scion",
        description = "How the head-end reaches the meters (default: ${DEFAULT-VALUE}).")
    String transport;

    @Option(names = "--testbed-dir", paramLabel = "DIR",
        description = "Run folder of the SCION testbed for --transport scion (default: run/testbed).")
    Path testbedDir;

    @Option(names = "--db", defaultValue = "h2", paramLabel = "h2|postgres|JDBC-URL",
        description = "The head-end's database: h2 (a fresh file in --out), postgres (a throw-away local PostgreSQL"
            + " from the Debian packages, started and removed by the bench) or a JDBC URL, e.g."
            + " jdbc:postgresql://127.0.0.1:5432/s3mp?user=s3mp (default: ${DEFAULT-VALUE}).")
    String db;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Output folder.")
    Path out;

    @Option(names = "--push", description = "The meters push their registers every --interval to the head-end's"
        + " push listener instead of being polled (TCP only): pushed readings/s stored, refusals, lost, delay.")
    boolean push;

    @Option(names = "--meters-per-process", paramLabel = "N",
        defaultValue = "" + FleetBenchmark.DEFAULT_METERS_PER_PROCESS,
        description = "Simulated meters in one meter process at most; more start more processes (a meter takes"
            + " 3 file descriptors, a process may have 20,000 here) (default: ${DEFAULT-VALUE}).")
    int metersPerProcess;

    @Option(names = "--workers", paramLabel = "N",
        description = "The head-end's polling.workers (default: the head-end's, 256).")
    Integer workers;

    @Option(names = "--association-slots", paramLabel = "N",
        description = "The head-end's polling.associationSlots (default: the head-end's, 16).")
    Integer associationSlots;

    @Override
    public Integer call() throws Exception {
      if (push && !transport.equals("tcp")) {
        throw new S3mp.UsageError("--push: over --transport tcp only for now");
      }
      if (fleet.meters < 1 || fleet.meters > MeterCommand.MAX_COUNT) {
        throw new S3mp.UsageError("--meters must be 1.." + MeterCommand.MAX_COUNT + ", got " + fleet.meters);
      }
      if (fleet.intervalSeconds < 1 || durationSeconds < 1) {
        throw new S3mp.UsageError("--interval and --duration must be at least 1 s");
      }
      if (!FleetBenchmark.TRANSPORTS.contains(transport)) {
        throw new S3mp.UsageError("--transport must be tcp or scion, not " + transport);
      }
      if (testbedDir != null && !transport.equals("scion")) {
        throw new S3mp.UsageError("--testbed-dir is for --transport scion only");
      }
      if (!db.equals("h2") && !db.equals("postgres") && !db.startsWith("jdbc:")) {
        throw new S3mp.UsageError("--db must be h2, postgres or a JDBC URL (jdbc:postgresql://...), not " + db);
      }
      if (metersPerProcess < 1 || metersPerProcess > MeterCommand.MAX_COUNT) {
        throw new S3mp.UsageError("--meters-per-process must be 1.." + MeterCommand.MAX_COUNT + ", got "
            + metersPerProcess);
      }
      org.s3mp.headend.HeadendConfig.Polling polling = workers == null && associationSlots == null ? null
          : new org.s3mp.headend.HeadendConfig.Polling(null, null, null, null, null, workers, associationSlots);
      try {
        new org.s3mp.headend.polling.PollingSettings(org.s3mp.dlms.client.RetryPolicy.DEFAULT, Duration.ZERO,
            Duration.ZERO,
            workers == null ? org.s3mp.headend.polling.PollingSettings.DEFAULT_WORKERS : workers,
            associationSlots == null ? org.s3mp.headend.polling.PollingSettings.DEFAULT_ASSOCIATION_SLOTS
                : associationSlots);
      } catch (IllegalArgumentException e) {
        throw new S3mp.UsageError(e.getMessage().replace("polling.workers", "--workers")
            .replace("polling.associationSlots", "--association-slots"));
      }
      FleetBenchmark.Result r = FleetBenchmark.run(new FleetBenchmark.Settings(fleet.meters, fleet.intervalSeconds,
          durationSeconds, transport, db, out, meterCommand(Math.min(fleet.meters, metersPerProcess)),
          transport.equals("scion") ? (testbedDir != null ? testbedDir : Testbed.defaultRunDir()) : null, push,
          metersPerProcess, polling),
          line -> System.out.println("bench: " + line));
      if (r.push() != null) {
        System.out.printf(java.util.Locale.ROOT, "%s push, %d meters x %d s: %.1f pushed readings/s stored (target"
                + " %.1f), delay p50 %.1f ms p99 %.1f ms, %d sent, %d refused, %d lost, largest backlog %d%n",
            r.transport(), r.meters(), r.intervalSeconds(), r.readingsPerSecondStored(), r.targetReadingsPerSecond(),
            r.push().delayP50Ms(), r.push().delayP99Ms(), r.push().sent(), r.push().refused(), r.readingsLost(),
            r.largestBacklog());
        System.out.println("bench: report in " + out.resolve("report.md"));
        return r.readingsLost() == 0 ? 0 : 1;
      }
      System.out.printf(java.util.Locale.ROOT, "%s, %d meters x %d s: %.1f readings/s stored (target %.1f), p50 %.1f ms"
              + " p99 %.1f ms, largest backlog %d, %d readings lost, head-end heap %.1f KiB/meter, all up after %s%n",
          r.transport(), r.meters(), r.intervalSeconds(), r.readingsPerSecondStored(), r.targetReadingsPerSecond(),
          r.readLatencyP50Ms(), r.readLatencyP99Ms(), r.largestBacklog(), r.readingsLost(),
          r.headendHeapPerMeterKiB(), r.secondsUntilAllUp() == null ? "never"
              : String.format(java.util.Locale.ROOT, "%.1f s", r.secondsUntilAllUp()));
      System.out.println("bench: report in " + out.resolve("report.md"));
      return r.readingsLost() == 0 ? 0 : 1;
    }
  }

  @Command(name = "takeover", mixinStandardHelpOptions = true,
      description = "Scale-out takeover: --meters simulated meters over TCP, a throw-away PostgreSQL and two head-end"
          + " instances (processes) splitting the meters by leases; the one holding more is killed with SIGKILL and"
          + " the time until each of its meters is read again by the other is measured, with readings duplicated"
          + " and lost (takeover.json, report.md). Exit code 1 unless every meter was read again within 15 s with"
          + " none duplicated or lost.")
  static final class Takeover implements Callable<Integer> {
    @Mixin
    SimulatedFleet fleet;

    @Option(names = "--before", defaultValue = "20", paramLabel = "S",
        description = "Seconds of reading after the split, before the kill (default: ${DEFAULT-VALUE}).")
    int beforeSeconds;

    @Option(names = "--after", defaultValue = "30", paramLabel = "S",
        description = "Seconds measured after the kill, at least 15 (default: ${DEFAULT-VALUE}).")
    int afterSeconds;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Output folder.")
    Path out;

    @Override
    public Integer call() throws Exception {
      if (fleet.meters < 2 || fleet.meters > MeterCommand.MAX_COUNT) {
        throw new S3mp.UsageError("--meters must be 2.." + MeterCommand.MAX_COUNT + ", got " + fleet.meters);
      }
      if (fleet.intervalSeconds < 1 || beforeSeconds < 1 || afterSeconds < TakeoverBenchmark.BOUND.toSeconds()) {
        throw new S3mp.UsageError("--interval and --before must be at least 1 s, --after at least "
            + TakeoverBenchmark.BOUND.toSeconds() + " s");
      }
      TakeoverBenchmark.Result r = TakeoverBenchmark.run(new TakeoverBenchmark.Settings(fleet.meters,
          fleet.intervalSeconds, beforeSeconds, afterSeconds, out, meterCommand(fleet.meters), headendCommand()),
          line -> System.out.println("bench: " + line));
      System.out.printf(java.util.Locale.ROOT, "takeover, %d meters x %d s: instance %s (%d meters) killed, read again"
              + " after %.1f s max / %.1f s median, %d not read again within %d s, %d duplicated, survivor %d taken /"
              + " %d stored / %d lost: %s%n", r.meters(), r.intervalSeconds(), r.killedInstance(), r.killedMeters(),
          r.takeoverMaxSeconds(), r.takeoverMedianSeconds(), r.notReadAgain(), TakeoverBenchmark.BOUND.toSeconds(),
          r.duplicatedReadings(), r.survivorTaken(), r.survivorStored(), r.survivorLost(),
          r.passed() ? "passed" : "FAILED");
      System.out.println("bench: report in " + out.resolve("report.md"));
      return r.passed() ? 0 : 1;
    }
  }

  @Command(name = "firmware", mixinStandardHelpOptions = true,
      description = "Time to roll a signed image out to --meters simulated meters over TCP (s3mp meter --count, one"
          + " process) through a head-end in this process, --concurrency transfers at once (firmware.json). Exit"
          + " code 1 when a meter did not end active.")
  static final class Firmware implements Callable<Integer> {
    @Option(names = "--meters", defaultValue = "10", paramLabel = "N",
        description = "Simulated meters (default: ${DEFAULT-VALUE}).")
    int meters;

    @Option(names = "--concurrency", defaultValue = "10", paramLabel = "N",
        description = "Transfers at once (default: ${DEFAULT-VALUE}).")
    int concurrency;

    @Option(names = "--image-kib", defaultValue = "1024", paramLabel = "KIB",
        description = "Payload size in KiB (default: ${DEFAULT-VALUE}).")
    int imageKiB;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Output folder.")
    Path out;

    @Override
    public Integer call() throws Exception {
      if (meters < 2 || meters > MeterCommand.MAX_COUNT) { // meter --count 1 is a single meter with its own keys
        throw new S3mp.UsageError("--meters must be 2.." + MeterCommand.MAX_COUNT + ", got " + meters);
      }
      if (concurrency < 1 || concurrency > 100) {
        throw new S3mp.UsageError("--concurrency must be 1..100, got " + concurrency);
      }
      if (imageKiB < 1 || imageKiB > 4000) {
        throw new S3mp.UsageError("--image-kib must be 1..4000, got " + imageKiB);
      }
      org.s3mp.bench.FirmwareBenchmark.Result r = org.s3mp.bench.FirmwareBenchmark.run(
          new org.s3mp.bench.FirmwareBenchmark.Settings(meters, concurrency, imageKiB, out, meterCommand(meters)),
          line -> System.out.println("bench: " + line));
      System.out.println(org.s3mp.bench.FirmwareBenchmark.summary(r));
      return r.active() == r.meters() ? 0 : 1;
    }
  }

  @Command(name = "jmh", mixinStandardHelpOptions = true,
      description = "JMH micro-benchmark of the request path without a network: encode a single-register GET,"
          + " the meter's DLMS server handles it, decode the answer; TCP (wrapper PDU) and SCION (SCION/UDP packet)"
          + " framing. Prints microseconds per reading; needs no testbed.")
  static final class Jmh implements Callable<Integer> {
    @Option(names = "--quick", description = "One short warm-up and measurement iteration (a smoke run).")
    boolean quick;

    @Option(names = "--out", paramLabel = "FILE", description = "Also write JMH's results as JSON to FILE.")
    Path out;

    @Override
    public Integer call() throws Exception {
      ChainedOptionsBuilder o = new OptionsBuilder().include(RequestPathBenchmark.class.getName())
          .jvmArgsAppend("-Xmx256m");
      if (quick) {
        o.warmupIterations(1).warmupTime(TimeValue.seconds(1)).measurementIterations(1)
            .measurementTime(TimeValue.seconds(1));
      }
      if (out != null) {
        o.resultFormat(ResultFormatType.JSON).result(out.toString());
      }
      new Runner(o.build()).run();
      return 0;
    }
  }

  /** A meter agent process of this very application, with the JVM options that {@code ./s3mp meter} uses. */
  static List<String> meterCommand() {
    List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
    cmd.addAll(meterJvmOptions());
    cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), S3mp.class.getName(), "meter"));
    return cmd;
  }

  /** A head-end process of this very application ({@code s3mp headend}; options are appended). */
  static List<String> headendCommand() {
    return List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx512m", "-cp",
        System.getProperty("java.class.path"), S3mp.class.getName(), "headend");
  }

  /** The meter command for {@code --count} meters in one process, with the heap ./s3mp gives them. */
  static List<String> meterCommand(int count) {
    List<String> cmd = meterCommand();
    cmd.add(cmd.indexOf("-cp"), "-Xmx" + (24 + count / 4) + "m"); // after the options file: the last -Xmx wins
    return cmd;
  }

  /** app/meter.jvm.options of the checkout as a Java argument file, or a small heap where there is none. */
  static List<String> meterJvmOptions() {
    Path options = S3mpHome.dir().resolve("app").resolve("meter.jvm.options");
    return Files.isRegularFile(options) ? List.of("@" + options) : List.of("-Xmx64m");
  }
}
