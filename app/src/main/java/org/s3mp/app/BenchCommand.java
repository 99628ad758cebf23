package org.s3mp.app;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.s3mp.bench.DelayBenchmark;
import org.s3mp.testbed.Testbed;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code s3mp bench ...}: the paper's evaluation. */
@Command(name = "bench", mixinStandardHelpOptions = true, description = "Benchmarks of the paper's evaluation.",
    subcommands = BenchCommand.Delay.class)
final class BenchCommand {

  @Command(name = "delay", mixinStandardHelpOptions = true,
      description = "DLMS reading delay natively over SCION vs plain IP (section V of the paper): single-register"
          + " GETs on an open association, modes in alternating blocks, meter CPU/RSS, path round trip; writes CSVs,"
          + " summary.json, cdf.png and report.md. Needs a running testbed for native mode (./s3mp testbed up).")
  static final class Delay implements Callable<Integer> {
    @Option(names = "--mode", defaultValue = "all", paramLabel = "native|ip|all",
        description = "Which transport (default: ${DEFAULT-VALUE} = native and ip; SIG is not available yet).")
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
      List<String> modes = switch (mode) {
        case "all" -> List.of("native", "ip");
        case "native", "ip" -> List.of(mode);
        case "sig" -> throw new S3mp.UsageError("SIG mode is not available yet (the testbed has no SCION-IP"
            + " gateways); use --mode native, ip or all");
        default -> throw new S3mp.UsageError("--mode must be native, ip or all, not " + mode);
      };
      if (readings < 1 || intervalMs < 0) {
        throw new S3mp.UsageError("--readings must be at least 1 and --interval not negative");
      }
      List<String> meterCommand = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
          "-Xmx64m", "-cp", System.getProperty("java.class.path"), S3mp.class.getName(), "meter");
      Map<String, DelayBenchmark.ModeResult> results = DelayBenchmark.run(new DelayBenchmark.Settings(modes, readings,
          Duration.ofMillis(intervalMs), out, meterCommand,
          testbedDir != null ? testbedDir : Testbed.defaultRunDir()), line -> System.out.println("bench: " + line));
      for (DelayBenchmark.ModeResult r : results.values()) {
        System.out.printf("%-7s %4d ok %3d failed  mean %.3f ms  p50 %.3f  p99 %.3f  meter CPU %.2f %%  RSS %.1f MB%s%n",
            r.mode(), r.delay().count(), r.delay().failures(), r.delay().mean(), r.delay().p50(), r.delay().p99(),
            r.meterCpuPercent(), r.meterRssMb(),
            r.pathRoundTripMs() == null ? "" : String.format("  path RTT %.3f ms", r.pathRoundTripMs()));
      }
      System.out.println("bench: report in " + out.resolve("report.md"));
      return results.values().stream().allMatch(r -> r.delay().failures() == 0) ? 0 : 1;
    }
  }
}
