package org.s3mp.headend;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import org.s3mp.headend.fleet.FleetRegistry;
import org.s3mp.headend.fleet.MeterInput;
import org.s3mp.headend.fleet.MeterSpec;
import org.s3mp.headend.polling.DlmsMeterConnector;
import org.s3mp.headend.commands.AuditLog;
import org.s3mp.headend.polling.ClockSettings;
import org.s3mp.headend.polling.FleetPoller;
import org.s3mp.headend.polling.PollingSettings;
import org.s3mp.headend.storage.Database;
import org.s3mp.headend.storage.ProfileStore;
import org.s3mp.headend.storage.ReadingStore;

/**
 * Benchmark (not a test): N real simulated meters in P meter processes, polled over TCP by the head-end's
 * polling core and stored in H2 (no HTTP in the measurement). Prints reads/s, read latency p50/p99 and heap per
 * meter. Arguments: METERS PROCESSES SECONDS INTERVAL (1 = continuous reading; else pollSeconds).
 */
public final class FleetBench {
  private FleetBench() {}

  public static void main(String[] args) {
    int status = 1;
    try {
      run(Integer.parseInt(args[0]), Integer.parseInt(args[1]), Integer.parseInt(args[2]), Integer.parseInt(args[3]));
      status = 0;
    } catch (Exception e) {
      e.printStackTrace();
    } finally {
      System.exit(status);
    }
  }

  private static void run(int n, int processes, int seconds, int interval) throws Exception {
    Path dir = Files.createTempDirectory("s3mp-bench-");
    try (MeterFleet fleet = new MeterFleet(dir, n, processes, n > 200 ? "768m" : "256m")) {
      System.out.printf("%d meters started in %d processes%n", n, processes);
      long heap0 = usedHeapAfterGc();
      int threads0 = Thread.activeCount();
      record Sample(Instant at, double latencyMs) {}
      ConcurrentLinkedQueue<Sample> samples = new ConcurrentLinkedQueue<>();
      AtomicInteger readMeters = new AtomicInteger();
      java.util.Set<String> seen = java.util.concurrent.ConcurrentHashMap.newKeySet();
      try (Database db = Database.open(dir.resolve("db/headend").toString(), null, null);
          ReadingStore readings = new ReadingStore(db)) {
        readings.onCommitted(r -> {
          samples.add(new Sample(r.readAt(), r.latencyMs()));
          if (seen.add(r.meterId())) {
            readMeters.incrementAndGet();
          }
        });
        FleetRegistry registry = new FleetRegistry(db);
        for (MeterInput m : fleet.meters()) {
          MeterInput in = new MeterInput(m.id(), m.url(), m.keysFile(), null, false, interval == 1 ? 0 : interval, false);
          registry.add(in.toSpec());
        }
        Instant t0 = Instant.now();
        try (FleetPoller poller = new FleetPoller(new DlmsMeterConnector(Duration.ofSeconds(10)), readings,
            new ProfileStore(db), registry, PollingSettings.defaults(), ClockSettings.defaults(), new AuditLog(db),
            new SimpleMeterRegistry())) {
          poller.start();
          if (interval == 1) {
            for (MeterSpec spec : registry.all()) {
              poller.setContinuous(spec.id(), true);
            }
          } else {
            for (MeterSpec spec : registry.all()) {
              poller.readOnce(spec.id()); // open the associations now instead of after the first interval
            }
          }
          Conditions.await("every meter read", Duration.ofSeconds(900), () -> readMeters.get() >= n);
          System.out.printf("all %d associations up and read after %.1f s%n", n,
              Duration.between(t0, Instant.now()).toMillis() / 1000.0);
          Instant from = Instant.now();
          Conditions.await("the window", Duration.ofSeconds(seconds + 60),
              () -> Instant.now().isAfter(from.plusSeconds(seconds)));
          Instant to = Instant.now();
          int backlog = readings.backlog();
          long heap1 = usedHeapAfterGc();
          int threads1 = Thread.activeCount();
          List<Double> latencies = new ArrayList<>();
          for (Sample s : samples) {
            if (!s.at().isBefore(from) && s.at().isBefore(to)) {
              latencies.add(s.latencyMs());
            }
          }
          latencies.sort(Double::compare);
          double window = Duration.between(from, to).toMillis() / 1000.0;
          System.out.printf("RESULT meters=%d interval=%ds window=%.1fs reads=%d reads/s=%.1f (target %.1f)"
                  + " p50=%.1fms p99=%.1fms max=%.1fms writer-backlog=%d heap/meter=%.1fKiB threads/meter=%.2f%n",
              n, interval, window, latencies.size(), latencies.size() / window, n / (double) interval,
              pct(latencies, 0.5), pct(latencies, 0.99), latencies.isEmpty() ? 0 : latencies.get(latencies.size() - 1),
              backlog, (heap1 - heap0) / 1024.0 / n, (threads1 - threads0) / (double) n);
        }
      }
    }
  }

  private static double pct(List<Double> sorted, double p) {
    return sorted.isEmpty() ? Double.NaN : sorted.get(Math.min(sorted.size() - 1, (int) (sorted.size() * p)));
  }

  private static long usedHeapAfterGc() {
    for (int i = 0; i < 3; i++) {
      System.gc();
    }
    return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
  }
}
