package org.s3mp.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class FloodBenchmarkTest {
  @Test
  void theFloodIsBounded() {
    Path out = Path.of("out");
    assertThatThrownBy(() -> new FloodBenchmark.Settings(Duration.ofSeconds(10), 20_001, Duration.ofMillis(100), out,
        List.of(), null)).hasMessageContaining("--rate must be between 1 and 20000");
    assertThatThrownBy(() -> new FloodBenchmark.Settings(Duration.ofSeconds(61), 100, Duration.ofMillis(100), out,
        List.of(), null)).hasMessageContaining("--duration");
    assertThatThrownBy(() -> new FloodBenchmark.Settings(Duration.ZERO, 100, Duration.ofMillis(100), out,
        List.of(), null)).hasMessageContaining("--duration");
  }

  @Test
  void theMetersFinalDropCountIsTheLastOneItLogged() {
    assertThat(FloodBenchmark.droppedEarly("x\nINFO MeterAgent - stopped; dropped 12 datagram(s) from untrusted"
        + " sources in total\n... stopped; dropped 19873 datagram(s) from untrusted sources in total\n"))
        .isEqualTo(19873);
    assertThat(FloodBenchmark.droppedEarly("WARN dropped 5 datagram(s) from untrusted SCION sources since the last"
        + " report (5 in total; latest from 1-ff00:0:113,127.0.0.1:4000)")).isZero();
  }

  @Test
  void reportComparesThePhasesOrSaysThereWasNoPath() {
    FloodBenchmark.Phase quiet = new FloodBenchmark.Phase("quiet", new DelayStats(100, 0, 3.0, 2.0, 4.0, 8.0, 9.0), 5.0);
    FloodBenchmark.Phase flooded = new FloodBenchmark.Phase("flooded", new DelayStats(99, 1, 3.3, 2.5, 5.0, 12.0, 20.0),
        15.0);
    String md = FloodBenchmark.report(new FloodBenchmark.Result("1-ff00:0:113", "[1-ff00:0:113 1>5 1-ff00:0:110]",
        2000, 10, 20000, 0, 19990, quiet, flooded, List.of("flooded: timeout")));
    assertThat(md).contains("| read p50 (ms) | 2.00 | 2.50 | 1.25 |", "| meter CPU (%) | 5.00 | 15.00 | 3.00 |",
        "| readings ok / failed | 100 / 0 | 99 / 1 | |", "dropped by the meter before any DLMS parsing or"
            + " cryptography: 19990", "- flooded: timeout");
    String hidden = FloodBenchmark.report(new FloodBenchmark.Result("1-ff00:0:113", null, 2000, 10, 0, 0, 0, quiet,
        null, List.of()));
    assertThat(hidden).contains("The outsider found no path to the meter", "| read p50 (ms) | 2.00 | - | - |");
  }
}
