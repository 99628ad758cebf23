package org.s3mp.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.s3mp.testbed.TopologySpec.Interface;

class FailoverBenchmarkTest {
  @Test
  void theUplinkIsTheConcentratorSideOfTheLastHop() {
    assertThat(FailoverBenchmark.uplinkOf("[1-ff00:0:112 2>2 1-ff00:0:120 1>2 1-ff00:0:111]"))
        .isEqualTo(new Interface("1-ff00:0:111", 2));
    assertThat(FailoverBenchmark.usesUplink("1-ff00:0:112 1>2 1-ff00:0:110 1>1 1-ff00:0:111",
        Interface.parse("1-ff00:0:111#2"))).isFalse();
    assertThatThrownBy(() -> FailoverBenchmark.uplinkOf("(inside 1-ff00:0:111)"))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void reportShowsEveryCutAndTheGoals() {
    FailoverBenchmark.Result r = new FailoverBenchmark.Result("cli", 2, 100, 80, 1, 612.4, 420.0, 310.0,
        List.of(new FailoverBenchmark.Cut(1, "1-ff00:0:111#2", 200.0, 300.0, 12),
            new FailoverBenchmark.Cut(2, "1-ff00:0:111#1", 420.0, 612.4, 14)),
        List.of("no response"));
    String md = FailoverBenchmark.report(r);
    assertThat(md).contains("| readings lost | 1 | 0 |", "| largest gap between two readings | 612 ms |",
        "| 2 | 1-ff00:0:111#1 | 420 | 612 | 14 |", "- no response");
  }
}
