package org.s3mp.app;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.s3mp.bench.DelayBenchmark;
import org.s3mp.bench.FailoverBenchmark;
import org.s3mp.testbed.Testbed;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code s3mp bench ...}: the paper's evaluation. */
@Command(name = "bench", mixinStandardHelpOptions = true, description = "Benchmarks of the paper's evaluation.",
    subcommands = {BenchCommand.Delay.class, BenchCommand.Failover.class})
final class BenchCommand {

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

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Output folder.")
    Path out;

    @Option(names = "--testbed-dir", paramLabel = "DIR", description = "Run folder of the testbed (default: run/testbed).")
    Path testbedDir;

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
      if (readings < 1 || intervalMs < 0) {
        throw new S3mp.UsageError("--readings must be at least 1 and --interval not negative");
      }
      Map<String, DelayBenchmark.ModeResult> results = DelayBenchmark.run(new DelayBenchmark.Settings(modes, readings,
          Duration.ofMillis(intervalMs), out, meterCommand(),
          testbedDir != null ? testbedDir : Testbed.defaultRunDir()), line -> System.out.println("bench: " + line));
      for (DelayBenchmark.ModeResult r : results.values()) {
        System.out.printf("%-7s %4d ok %3d failed  mean %.3f ms  p50 %.3f  p95 %.3f  p99 %.3f  meter-side CPU %.2f %%"
            + "  RSS %.1f MB%s%n", r.mode(), r.delay().count(), r.delay().failures(),
            r.delay().mean(), r.delay().p50(), r.delay().p95(), r.delay().p99(),
            r.meterCpuPercent(), r.meterRssMb(),
            r.pathRoundTripMs() == null ? "" : String.format("  path RTT %.3f ms", r.pathRoundTripMs()));
      }
      System.out.println("bench: report in " + out.resolve("report.md"));
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

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Output folder.")
    Path out;

    @Option(names = "--testbed-dir", paramLabel = "DIR", description = "Run folder of the testbed (default: run/testbed).")
    Path testbedDir;

    @Override
    public Integer call() throws Exception {
      if (cuts < 1 || intervalMs < 1) {
        throw new S3mp.UsageError("--cuts and --interval must be at least 1");
      }
      if (!client.equals("cli") && !client.equals("headend")) {
        throw new S3mp.UsageError("--client must be cli or headend, not " + client);
      }
      FailoverBenchmark.Result r = FailoverBenchmark.run(new FailoverBenchmark.Settings(cuts,
          Duration.ofMillis(intervalMs), client, out, meterCommand(),
          testbedDir != null ? testbedDir : Testbed.defaultRunDir()), line -> System.out.println("bench: " + line));
      System.out.printf("%s client: %d readings, %d lost, largest gap %.0f ms, switch mean %.0f ms max %.0f ms%n",
          r.client(), r.readings(), r.lost(), r.largestGapMs(), r.meanSwitchMs(), r.maxSwitchMs());
      System.out.println("bench: report in " + out.resolve("report.md"));
      return r.lost() == 0 ? 0 : 1;
    }
  }

  /** A meter agent process of this very application. */
  static List<String> meterCommand() {
    return List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xmx64m", "-cp", System.getProperty("java.class.path"), S3mp.class.getName(), "meter");
  }
}
