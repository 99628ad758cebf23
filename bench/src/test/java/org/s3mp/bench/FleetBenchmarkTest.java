package org.s3mp.bench;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The push side of {@code bench fleet --push}: the meters' totals, when pushes count as up, lost, the report. */
class FleetBenchmarkTest {

  static FleetBenchmark.Result pushed(FleetBenchmark.Push push, long stored) {
    return new FleetBenchmark.Result(500, 1, "tcp", "h2", 4.2, 60, 498.5, 500, 3.1, 12.7, 800, 8192, 0,
        push.accepted(), stored, push.lost(stored), 20.5, 0.01, 80, 60, 300, push);
  }

  @Test
  void theMetersLastTotalsAreTaken() {
    assertThat(FleetBenchmark.pushTotals("meter x listening\npushes sent 10 failed 2\n")).containsExactly(10, 2);
    assertThat(FleetBenchmark.pushTotals("pushes sent 1 failed 0\nagain\npushes sent 30000 failed 7"))
        .containsExactly(30000, 7);
    assertThat(FleetBenchmark.pushTotals("500 meters running\n")).isNull();
  }

  @Test
  void pushesAreUpAtNinetyPercentOfTheTargetRate() {
    assertThat(FleetBenchmark.pushesUp(1000, 1450, 1.0, 500)).isTrue();
    assertThat(FleetBenchmark.pushesUp(1000, 1449, 1.0, 500)).isFalse();
    assertThat(FleetBenchmark.pushesUp(1000, 1900, 2.0, 500)).isTrue();
    assertThat(FleetBenchmark.pushesUp(0, 0, 0, 500)).isFalse();
  }

  @Test
  void lostAreSentNeitherStoredNorRefused() {
    FleetBenchmark.Push p = new FleetBenchmark.Push(30_000, 12, 29_990, 4, 3.1, 12.7);
    assertThat(p.lost(29_990)).isEqualTo(6);
    assertThat(p.lost(29_996)).isZero();
    assertThat(p.lost(30_000)).as("never negative").isZero();
  }

  @Test
  void thePushReportSaysWhatWasMeasured() {
    FleetBenchmark.Push p = new FleetBenchmark.Push(30_000, 12, 29_990, 4, 3.1, 12.7);
    String report = FleetBenchmark.report(pushed(p, 29_990));
    assertThat(report).contains("push their registers every 1 s over tcp")
        .contains("| pushed readings/s stored | 498.5 (target 500.0) |")
        .contains("| delay meter clock to queued for storage p50 / p99 | 3.1 ms / 12.7 ms |")
        .contains("| pushes sent / accepted / refused / stored / lost | 30000 / 29990 / 4 / 29990 / 6 |")
        .contains("| pushes the meters could not send | 12 |")
        .doesNotContain("read latency");
  }

  @Test
  void aPollingReportHasNoPushRows() {
    FleetBenchmark.Result r = new FleetBenchmark.Result(500, 1, "tcp", "h2", 4.2, 60, 498.5, 500, 3.1, 12.7, 800,
        8192, 0, 30_000, 30_000, 0, 20.5, 0.01, 80, 60, 300, null);
    assertThat(FleetBenchmark.report(r)).contains("| read latency p50 / p99 | 3.1 ms / 12.7 ms |")
        .doesNotContain("pushed readings");
  }
}
