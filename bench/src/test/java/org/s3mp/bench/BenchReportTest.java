package org.s3mp.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class BenchReportTest {

  @Test
  void reportsWhatOneReadingCostsPerModeAndSide() {
    DelayStats d = new DelayStats(300, 0, 1.5, 1.2, 2.0, 3.0, 4.0);
    DelayBenchmark.ModeResult ip = new DelayBenchmark.ModeResult("ip", d, 2.5, 58.2, 60.0, null,
        "tcp://127.0.0.1:4059", List.of("meter agent"), new DelayBenchmark.ReadingCost(250, 180, 420, 51234));
    String md = BenchReport.markdown(Map.of("ip", ip), new DelayBenchmark.Settings(List.of("ip"), 300, 100,
        Duration.ofMillis(100), Path.of("out"), List.of("java"), Path.of("run")));

    assertThat(md).contains("300 single-register GETs", "100 ms apart", "after 100 warm-up readings per mode");
    assertThat(md).contains("| mode | meter-side CPU us / reading | client CPU us / reading (reading thread / process)"
        + " | client allocated bytes / reading | meter-side RSS MB |");
    assertThat(md).contains("| ip | 250 | 180 / 420 | 51234 | 58.2 |");
  }
}
