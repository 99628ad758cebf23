package org.s3mp.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The delay benchmark's statistics, CSV, chart and report from known readings (no network). */
class DelayBenchmarkTest {
  @TempDir Path dir;

  /** Readings of 1, 2, ..., n ms in shuffled order, plus failed ones that must not count as delays. */
  static List<Reading> readings(String mode, int n, int failed) {
    List<Reading> r = new ArrayList<>();
    for (int i = 1; i <= n; i++) {
      r.add(new Reading(mode, i, 1_700_000_000_000L + i, i * 1000L, true, "1-ff00:0:112 1>2 1-ff00:0:111", null));
    }
    for (int i = 0; i < failed; i++) {
      r.add(new Reading(mode, n + i, 0, 999_000_000L, false, null, "no answer"));
    }
    Collections.shuffle(r, new Random(1));
    return r;
  }

  @Test
  void statisticsAreNearestRankOverSuccessfulReadings() {
    DelayStats s = DelayStats.of(readings("native", 100, 3));
    assertThat(s.count()).isEqualTo(100);
    assertThat(s.failures()).isEqualTo(3);
    assertThat(s.mean()).isCloseTo(50.5, within(1e-9));
    assertThat(s.p50()).isEqualTo(50.0);
    assertThat(s.p95()).isEqualTo(95.0);
    assertThat(s.p99()).isEqualTo(99.0);
    assertThat(s.max()).isEqualTo(100.0);

    DelayStats ten = DelayStats.of(readings("ip", 10, 0));
    assertThat(ten.p50()).isEqualTo(5.0);
    assertThat(ten.p95()).isEqualTo(10.0);
    DelayStats one = DelayStats.of(readings("ip", 1, 0));
    assertThat(List.of(one.p50(), one.p99(), one.max())).containsOnly(1.0);
  }

  @Test
  void onlyFailuresGiveNoDelaysButCountThem() {
    DelayStats s = DelayStats.of(readings("sig", 0, 4));
    assertThat(s.count()).isZero();
    assertThat(s.failures()).isEqualTo(4);
    assertThat(s.mean()).isNaN();
    assertThat(s.p95()).isNaN();
  }

  @Test
  void csvHasOneQuotedLinePerReading() throws Exception {
    Path csv = dir.resolve("delays.csv");
    DelayBenchmark.writeCsv(csv, List.of(
        new Reading("native", 0, 1000, 1234, true, "1-ff00:0:112 2>2 1-ff00:0:111", null),
        new Reading("sig", 1, 2000, 0, false, null, "said \"no\", then nothing")));
    assertThat(Files.readAllLines(csv)).containsExactly(
        "\"index\",\"started_ms\",\"delay_us\",\"ok\",\"path\",\"error\"",
        "0,1000,1234,true,\"1-ff00:0:112 2>2 1-ff00:0:111\",\"\"",
        "1,2000,0,false,\"\",\"said \"\"no\"\", then nothing\"");
  }

  @Test
  void csvReadsBackAsWrittenWhateverTheErrorSays() throws Exception {
    Path csv = dir.resolve("delays.csv");
    String error = "line one, \"quoted\"\nline two";
    DelayBenchmark.writeCsv(csv, List.of(new Reading("ip", 7, 3000, 99, false, null, error)));
    com.fasterxml.jackson.dataformat.csv.CsvMapper mapper = new com.fasterxml.jackson.dataformat.csv.CsvMapper();
    List<java.util.Map<String, String>> rows = mapper.readerForMapOf(String.class)
        .with(com.fasterxml.jackson.dataformat.csv.CsvSchema.emptySchema().withHeader())
        .<java.util.Map<String, String>>readValues(csv.toFile()).readAll();
    assertThat(rows).hasSize(1);
    assertThat(rows.get(0)).containsEntry("index", "7").containsEntry("ok", "false").containsEntry("error", error);
  }

  static DelayBenchmark.ModeResult result(String mode, int n, double scale, double cpu, double rss, Double rtt) {
    List<Reading> r = new ArrayList<>();
    for (int i = 1; i <= n; i++) {
      r.add(new Reading(mode, i, i, Math.round(i * 1000 * scale), true, null, null));
    }
    return new DelayBenchmark.ModeResult(mode, DelayStats.of(r), cpu, rss, rss + 1, rtt, "tcp://x", List.of("agent"),
        new DelayBenchmark.ReadingCost(cpu * 100, 50, 80, 4096));
  }

  @Test
  void reportComputesTheRatiosFromTheResults() {
    Map<String, DelayBenchmark.ModeResult> r = new LinkedHashMap<>();
    r.put("native", result("native", 10, 2.0, 10, 80, 4.0)); // mean 11 ms
    r.put("sig", result("sig", 10, 3.0, 20, 100, null)); // mean 16.5 ms
    r.put("ip", result("ip", 10, 1.0, 5, 60, null)); // mean 5.5 ms
    String md = BenchReport.markdown(r, new DelayBenchmark.Settings(DelayBenchmark.MODES, 10, 0,
        Duration.ofMillis(20), dir, List.of(), dir));
    assertThat(md).contains(
        "| native | 10 | 0 | 11.000 | 10.000 | 20.000 | 20.000 | 20.000 | 10.00 | 80.0 / 81.0 | agent |",
        "- sig / native (mean delay): 1.50",
        "- meter-side CPU native / sig: 0.50, RSS native / sig: 0.80",
        "- native / ip (mean delay): 2.00",
        "- native - ip (mean delay): 5.500 ms = 1.38 x the path's own round trip",
        "(SCMP echo over the same path, median of 21 sent 20 ms apart like the readings): 4.000 ms");
    assertThat(md).doesNotContain("modes not in this run");
  }

  @Test
  void reportNamesTheModesNotRun() {
    Map<String, DelayBenchmark.ModeResult> r = new LinkedHashMap<>();
    r.put("native", result("native", 5, 1.0, 10, 80, null));
    String md = BenchReport.markdown(r, new DelayBenchmark.Settings(List.of("native"), 5, 0, Duration.ofMillis(20),
        dir, List.of(), dir));
    assertThat(md).contains("- modes not in this run: sig, ip").doesNotContain("sig / native", "Round trip of");
  }

  @Test
  void chartIsAPng() throws Exception {
    System.setProperty("java.awt.headless", "true");
    Path png = dir.resolve("cdf.png");
    Map<String, List<Reading>> byMode = new LinkedHashMap<>();
    byMode.put("native", readings("native", 20, 1));
    byMode.put("ip", readings("ip", 20, 0));
    CdfChart.write(byMode, png);
    assertThat(Files.readAllBytes(png)).startsWith((byte) 0x89, (byte) 'P', (byte) 'N', (byte) 'G');
  }

  @Test
  void unknownModeIsAClearError() {
    assertThatThrownBy(() -> DelayBenchmark.run(new DelayBenchmark.Settings(List.of("carrier-pigeon"), 1, 0,
        Duration.ofMillis(1), dir, List.of(), dir), m -> {}))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("unknown mode carrier-pigeon");
  }
}
