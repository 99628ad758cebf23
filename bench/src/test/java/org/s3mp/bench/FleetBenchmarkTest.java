package org.s3mp.bench;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The push side of {@code bench fleet --push}: the meters' totals, when pushes count as up, lost, the report. */
class FleetBenchmarkTest {

  static FleetBenchmark.Result pushed(FleetBenchmark.Push push, long stored) {
    return new FleetBenchmark.Result(500, 1, "tcp", "h2", 4.2, 60, 498.5, 500, 3.1, 12.7, 800, 8192, 0,
        push.accepted(), stored, push.lost(stored), 20.5, 0.01, 80, 60, 300, 1, 120, 3.0, push);
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
        8192, 0, 30_000, 30_000, 0, 20.5, 0.01, 80, 60, 300, 4, 10_150, 3.0, null);
    assertThat(FleetBenchmark.report(r)).contains("| read latency p50 / p99 | 3.1 ms / 12.7 ms |")
        .contains("500 simulated meters (4 processes) read every 1 s")
        .contains("| file descriptors: head-end (most) / meter processes per meter | 10150 / 3.0 |")
        .doesNotContain("pushed readings");
  }

  @Test
  void theMetersAreSplitEvenlyOverAsFewProcessesAsHoldThem() {
    assertThat(FleetBenchmark.split(10_000, 2_500)).containsExactly(new FleetBenchmark.Share(0, 2_500),
        new FleetBenchmark.Share(2_500, 2_500), new FleetBenchmark.Share(5_000, 2_500),
        new FleetBenchmark.Share(7_500, 2_500));
    assertThat(FleetBenchmark.split(5, 2)).containsExactly(new FleetBenchmark.Share(0, 2),
        new FleetBenchmark.Share(2, 2), new FleetBenchmark.Share(4, 1));
    assertThat(FleetBenchmark.split(7, 3)).containsExactly(new FleetBenchmark.Share(0, 3),
        new FleetBenchmark.Share(3, 2), new FleetBenchmark.Share(5, 2));
    assertThat(FleetBenchmark.split(2_000, 2_500)).containsExactly(new FleetBenchmark.Share(0, 2_000));
  }

  @Test
  void aLargeFleetIsGivenLongerToAssociate() {
    assertThat(FleetBenchmark.upTimeout(2_000)).hasMinutes(5);
    assertThat(FleetBenchmark.upTimeout(10_000)).hasMinutes(10);
  }

  @Test
  void meterPortsAreBelowTheEphemeralRangeWhenTheyFit() {
    for (int i = 0; i < 1000; i++) {
      int base = FleetBenchmark.randomBase(10_000);
      assertThat(base).isBetween(10_000, 32_768 - 10_000);
    }
    assertThat(FleetBenchmark.randomBase(2)).isBetween(10_000, 32_766);
  }
}
