package org.s3mp.app;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code s3mp bench fleet} end to end, small: 5 meters in one process, a head-end on H2 or on a throw-away
 * PostgreSQL the bench starts itself, 5 s measured; 3 meters over SCION through the testbed; and the takeover of a
 * killed instance's meters by a second head-end process.
 */
class FleetBenchIT {
  @TempDir
  Path dir;

  @Test
  void aSmallFleetIsMeasuredAndLosesNothing() throws Exception {
    Path out = dir.resolve("out");
    Cli.Result r = Cli.run("bench", "fleet", "--meters", "5", "--interval", "1", "--duration", "5", "--out",
        out.toString());
    assertThat(r.exitCode()).as("exit code; out: %s err: %s", r.out(), r.err()).isZero();
    JsonNode fleet = new ObjectMapper().readTree(out.resolve("fleet.json").toFile());
    assertThat(fleet.get("meters").asInt()).isEqualTo(5);
    assertThat(fleet.get("secondsUntilAllUp").isNumber()).as("all associations came up").isTrue();
    assertThat(fleet.get("readingsLost").asLong()).isZero();
    assertThat(fleet.get("readingsStored").asLong()).isEqualTo(fleet.get("readingsTaken").asLong()).isPositive();
    assertThat(fleet.get("readingsPerSecondStored").asDouble()).isPositive();
    assertThat(fleet.get("readLatencyP99Ms").asDouble()).isPositive();
    assertThat(fleet.get("queueCapacity").asInt()).isEqualTo(5000);
    assertThat(Files.readString(out.resolve("report.md"))).contains("readings/s stored", "readings taken / stored / lost");
  }

  /** 5 meters in 3 processes (at most 2 each), as 10,000 are spread over processes of 2,500. */
  @Test
  void theMetersAreSpreadOverSeveralProcesses() throws Exception {
    Path out = dir.resolve("out-processes");
    Cli.Result r = Cli.run("bench", "fleet", "--meters", "5", "--meters-per-process", "2", "--interval", "1",
        "--duration", "3", "--association-slots", "2", "--out", out.toString());
    assertThat(r.exitCode()).as("exit code; out: %s err: %s", r.out(), r.err()).isZero();
    JsonNode fleet = new ObjectMapper().readTree(out.resolve("fleet.json").toFile());
    assertThat(fleet.get("meterProcesses").asInt()).isEqualTo(3);
    assertThat(fleet.get("secondsUntilAllUp").isNumber()).as("all associations came up").isTrue();
    assertThat(fleet.get("readingsLost").asLong()).isZero();
    assertThat(fleet.get("readingsStored").asLong()).isEqualTo(fleet.get("readingsTaken").asLong()).isPositive();
    assertThat(fleet.get("headendFileDescriptors").asLong()).isPositive();
    for (String log : java.util.List.of("meters-01.log", "meters-02.log", "meters-03.log")) {
      assertThat(Files.readString(out.resolve(log))).as(log).contains("meters running");
    }
    assertThat(Files.readString(out.resolve("meters-03.log"))).contains("1 meters running");
    assertThat(Files.readString(out.resolve("report.md"))).contains("5 simulated meters (3 processes)");
  }

  @Test
  void onAThrowAwayPostgresNothingIsLost() throws Exception {
    Path out = dir.resolve("out-pg");
    Cli.Result r = Cli.run("bench", "fleet", "--meters", "5", "--interval", "1", "--duration", "5", "--db",
        "postgres", "--out", out.toString());
    assertThat(r.exitCode()).as("exit code; out: %s err: %s", r.out(), r.err()).isZero();
    JsonNode fleet = new ObjectMapper().readTree(out.resolve("fleet.json").toFile());
    assertThat(fleet.get("database").asText()).isEqualTo("postgres");
    assertThat(fleet.get("readingsLost").asLong()).isZero();
    assertThat(fleet.get("readingsStored").asLong()).isEqualTo(fleet.get("readingsTaken").asLong()).isPositive();
  }

  /** Over SCION through the shared testbed's routers: meters in the concentrator AS, head-end in its own AS. */
  @Test
  void overScionThroughTheTestbedNothingIsLost() throws Exception {
    org.s3mp.testbed.Testbed tb = org.s3mp.testbed.Testbed.shared();
    Path out = dir.resolve("out-scion");
    Cli.Result r = Cli.run("bench", "fleet", "--meters", "3", "--interval", "1", "--duration", "5", "--transport",
        "scion", "--testbed-dir", tb.runDir().toString(), "--out", out.toString());
    assertThat(r.exitCode()).as("exit code; out: %s err: %s", r.out(), r.err()).isZero();
    assertThat(r.out()).contains("using the SCION testbed running in " + tb.runDir());
    JsonNode fleet = new ObjectMapper().readTree(out.resolve("fleet.json").toFile());
    assertThat(fleet.get("transport").asText()).isEqualTo("scion");
    assertThat(fleet.get("secondsUntilAllUp").isNumber()).as("all associations came up").isTrue();
    assertThat(fleet.get("readingsLost").asLong()).isZero();
    assertThat(fleet.get("readingsStored").asLong()).isEqualTo(fleet.get("readingsTaken").asLong()).isPositive();
    // the meters listened in the concentrator AS
    assertThat(Files.readString(out.resolve("meters.log"))).contains("listening on scion://" + tb.concentrator() + ",[");
  }

  /** Two head-end processes on a throw-away PostgreSQL, the one holding more killed with SIGKILL. */
  @Test
  void aKilledInstancesMetersAreReadAgainByTheOther() throws Exception {
    Path out = dir.resolve("out-takeover");
    Cli.Result r = Cli.run("bench", "takeover", "--meters", "6", "--before", "3", "--after", "15", "--out",
        out.toString());
    assertThat(r.exitCode()).as("exit code; out: %s err: %s", r.out(), r.err()).isZero();
    JsonNode result = new ObjectMapper().readTree(out.resolve("takeover.json").toFile());
    assertThat(result.get("killedMeters").asInt()).isEqualTo(3);
    assertThat(result.get("takeoverMaxSeconds").asDouble()).isPositive().isLessThanOrEqualTo(15);
    assertThat(result.get("notReadAgain").asInt()).isZero();
    assertThat(result.get("duplicatedReadings").asLong()).isZero();
    assertThat(result.get("survivorStored").asLong()).isEqualTo(result.get("survivorTaken").asLong()).isPositive();
    assertThat(Files.readString(out.resolve("report.md"))).contains("read again after");
    assertThat(Cli.run("bench", "takeover", "--after", "5", "--out", out.toString()).err())
        .contains("--after at least 15 s");
  }

  @Test
  void badOptionsAreUsageErrors() throws Exception {
    Cli.Result r = Cli.run("bench", "fleet", "--meters", "0", "--out", dir.toString());
    assertThat(r.exitCode()).isEqualTo(2);
    assertThat(r.err()).contains("--meters must be 1..20000");
    assertThat(Cli.run("bench", "fleet", "--transport", "quic", "--out", dir.toString()).err())
        .contains("--transport must be tcp or scion, not quic");
    assertThat(Cli.run("bench", "fleet", "--testbed-dir", dir.toString(), "--out", dir.toString()).err())
        .contains("--testbed-dir is for --transport scion only");
    assertThat(Cli.run("bench", "fleet", "--db", "mysql", "--out", dir.toString()).err())
        .contains("--db must be h2, postgres or a JDBC URL");
    assertThat(Cli.run("bench", "fleet", "--meters-per-process", "0", "--out", dir.toString()).err())
        .contains("--meters-per-process must be 1..20000, got 0");
    assertThat(Cli.run("bench", "fleet", "--workers", "8", "--association-slots", "9", "--out", dir.toString()).err())
        .contains("--association-slots: 1..--workers (8");
  }
}
