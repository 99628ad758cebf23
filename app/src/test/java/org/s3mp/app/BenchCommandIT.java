package org.s3mp.app;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.s3mp.testbed.Testbed;

/** {@code s3mp bench delay} end to end: real meter processes, real testbed, every output file with sane values. */
class BenchCommandIT {
  @TempDir Path out;

  @Test
  void shortRunOfAllModesProducesEveryOutput() throws Exception {
    Testbed tb = Testbed.shared();
    Cli.Result r = Cli.run("bench", "delay", "--mode", "all", "--readings", "50", "--interval", "20", "--out",
        out.toString(), "--testbed-dir", tb.runDir().toString());
    assertThat(r.exitCode()).as(r.out() + r.err()).isZero();
    JsonNode summary = new ObjectMapper().readTree(out.resolve("summary.json").toFile());
    for (String mode : new String[] {"native", "ip"}) {
      JsonNode m = summary.path(mode);
      assertThat(m.path("delay").path("count").asInt()).as(mode).isEqualTo(50);
      assertThat(m.path("delay").path("failures").asInt()).as(mode).isZero();
      assertThat(m.path("delay").path("mean").asDouble()).as(mode).isPositive();
      assertThat(m.path("delay").path("p99").asDouble()).isGreaterThanOrEqualTo(m.path("delay").path("p50").asDouble());
      assertThat(m.path("meterRssMb").asDouble()).as(mode).isPositive();
      assertThat(m.path("meterCpuPercent").asDouble()).as(mode).isGreaterThanOrEqualTo(0);
      assertThat(Files.readAllLines(out.resolve("delays-" + mode + ".csv"))).hasSize(51);
    }
    assertThat(summary.path("native").path("pathRoundTripMs").asDouble()).isPositive();
    assertThat(Files.readAllLines(out.resolve("delays-native.csv")).get(1)).contains(tb.headEnd());
    byte[] png = Files.readAllBytes(out.resolve("cdf.png"));
    assertThat(png).startsWith((byte) 0x89, (byte) 'P', (byte) 'N', (byte) 'G');
    assertThat(Files.readString(out.resolve("report.md"))).contains("| native |", "| ip |", "native / ip", "32.8");
  }
}
