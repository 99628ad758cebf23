package org.s3mp.bench;

import java.util.Locale;
import java.util.Map;
import org.s3mp.bench.DelayBenchmark.ModeResult;
import org.s3mp.bench.DelayBenchmark.ReadingCost;

/** report.md: the paper's Table I shape with our numbers, percentiles and ratios, the paper's beside them. */
final class BenchReport {
  private BenchReport() {}

  static String markdown(Map<String, ModeResult> r, DelayBenchmark.Settings s) {
    StringBuilder md = new StringBuilder();
    md.append("# DLMS reading delay: native SCION vs SCION-IP gateway (SIG) vs plain IP\n\n");
    md.append(String.format(Locale.ROOT, "%d single-register GETs (1.0.1.7.0.255) per mode on an open HLS-GMAC"
        + " association, %d ms apart, modes alternating in blocks of %d, after %d warm-up readings per mode that"
        + " are not counted, simulated meter, local scionproto testbed, this machine (%d cores).%n%n",
        s.readings(), s.interval().toMillis(), DelayBenchmark.BLOCK, s.warmup(),
        Runtime.getRuntime().availableProcessors()));
    md.append("| mode | readings | failed | mean ms | p50 ms | p95 ms | p99 ms | max ms | meter-side CPU % |"
        + " meter-side RSS MB (mean / max) | meter-side processes |\n");
    md.append("|---|---|---|---|---|---|---|---|---|---|---|\n");
    for (ModeResult m : r.values()) {
      DelayStats d = m.delay();
      md.append(String.format(Locale.ROOT,
          "| %s | %d | %d | %.3f | %.3f | %.3f | %.3f | %.3f | %.2f | %.1f / %.1f | %s |%n", m.mode(), d.count(),
          d.failures(), d.mean(), d.p50(), d.p95(), d.p99(), d.max(), m.meterCpuPercent(), m.meterRssMb(),
          m.meterRssMaxMb(), String.join(" + ", m.meterSideProcesses())));
    }
    md.append("\n## What one reading costs\n\n");
    md.append("| mode | meter-side CPU us / reading | client CPU us / reading (reading thread / process) |"
        + " client allocated bytes / reading | meter-side RSS MB |\n|---|---|---|---|---|\n");
    for (ModeResult m : r.values()) {
      ReadingCost c = m.cost();
      md.append(String.format(Locale.ROOT, "| %s | %.0f | %.0f / %.0f | %.0f | %.1f |%n", m.mode(), c.meterCpuMicros(),
          c.clientThreadCpuMicros(), c.clientProcessCpuMicros(), c.clientAllocatedBytes(), m.meterRssMb()));
    }
    md.append("\nMeter-side CPU from /proc/PID/stat (10 ms ticks) over the blocks of the mode; client CPU from"
        + " ThreadMXBean (the reading thread) and OperatingSystemMXBean (the whole bench process, including its"
        + " other threads and JIT), allocation from ThreadMXBean#getThreadAllocatedBytes of the reading thread.\n");
    ModeResult nat = r.get("native");
    ModeResult sig = r.get("sig");
    ModeResult ip = r.get("ip");
    md.append("\n");
    if (nat != null && nat.pathRoundTripMs() != null) {
      md.append(String.format(Locale.ROOT, "Round trip of the native path itself (SCMP echo over the same path,"
          + " median of 21 sent %d ms apart like the readings): %.3f ms%n%n", s.interval().toMillis(),
          nat.pathRoundTripMs()));
    }
    md.append("## Ratios and goals\n\n");
    if (nat != null && sig != null) {
      md.append(String.format(Locale.ROOT, "- sig / native (mean delay): %.2f (goal >= 1.16, the paper's margin:"
          + " 38 / 32.8)%n", sig.delay().mean() / nat.delay().mean()));
      md.append(String.format(Locale.ROOT, "- meter-side CPU native / sig: %.2f, RSS native / sig: %.2f (goal: both"
          + " below 1; paper: %.2f and %.2f)%n", nat.meterCpuPercent() / sig.meterCpuPercent(),
          nat.meterRssMb() / sig.meterRssMb(), 14.1 / 24.35, 85.0 / 106));
    }
    if (nat != null && ip != null) {
      double overhead = nat.delay().mean() - ip.delay().mean();
      md.append(String.format(Locale.ROOT, "- native / ip (mean delay): %.2f%n", nat.delay().mean() / ip.delay().mean()));
      md.append(String.format(Locale.ROOT, "- native - ip (mean delay): %.3f ms", overhead));
      if (nat.pathRoundTripMs() != null) {
        md.append(String.format(Locale.ROOT, " = %.2f x the path's own round trip (goal <= 1.2)",
            overhead / nat.pathRoundTripMs()));
      }
      md.append("\n");
    }
    if (r.size() < DelayBenchmark.MODES.size()) {
      md.append("- modes not in this run: ").append(String.join(", ", DelayBenchmark.MODES.stream()
          .filter(m -> !r.containsKey(m)).toList())).append(" (`--mode all` runs all three)\n");
    }
    md.append("\n## The paper's numbers (Table I; other hardware: Raspberry Pi Zero meter, real links)\n\n");
    md.append("Not comparable in absolute terms with ours (different hardware, network and load); compare the"
        + " ratios.\n\n");
    md.append("| mode | mean delay ms | meter CPU % | meter memory MB |\n|---|---|---|---|\n");
    md.append("| native SCION (paper) | 32.8 | 14.1 | 85 |\n");
    md.append("| SIG (paper) | 38 | 24.35 | 106 |\n\n");
    md.append("Meter side: the meter agent; in SIG mode also the concentrator's SCION-IP gateway, which a legacy"
        + " meter needs in front of it. SIG readings carry no per-reading path: the gateway picks it.\n\n");
    md.append("Files: delays-<mode>.csv (every reading with its path), summary.json, cdf.png.\n");
    return md.toString();
  }
}
