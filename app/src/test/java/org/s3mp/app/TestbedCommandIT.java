package org.s3mp.app;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.s3mp.testbed.Testbed;
import org.s3mp.testbed.LoopbackBlock;

/** {@code s3mp testbed ...} as a user runs it: exit codes, status output, bad input. */
class TestbedCommandIT {
  @TempDir static Path tmp;
  private static Path runDir;
  private static LoopbackBlock block;

  @BeforeAll
  static void up() throws Exception {
    runDir = tmp.resolve("tb");
    Path topo = tmp.resolve("topo.yaml");
    new ObjectMapper(new YAMLFactory()).writeValue(topo.toFile(), (block = LoopbackBlock.claim()).topology());
    Cli.Result r = Cli.run("testbed", "up", "--dir", runDir.toString(), "--topology", topo.toString());
    assertThat(r.exitCode()).as(r.err()).isZero();
    assertThat(r.out()).contains("1-ff00:0:111", "concentrator", "127." + block.number() + ".111.1:30255", "[alive]");
  }

  @AfterAll
  static void down() throws Exception {
    Cli.Result r = Cli.run("testbed", "down", "--dir", runDir.toString());
    assertThat(r.out()).as(r.err()).contains("stopped 34 processes");
    // the command must have left nothing to clean up; this only guards against a failed down
    Testbed.attach(runDir).ifPresent(tb -> {
      try {
        tb.stop();
      } catch (java.io.IOException e) {
        throw new RuntimeException(e);
      }
    });
  }

  @Test
  void statusJsonLinkCutAndRefusals() throws Exception {
    Cli.Result status = Cli.run("testbed", "status", "--json", "--dir", runDir.toString());
    assertThat(status.exitCode()).as(status.err()).isZero();
    JsonNode json = new ObjectMapper().readTree(status.out());
    assertThat(json.path("running").asBoolean()).isTrue();
    assertThat(json.path("ases")).hasSize(6);
    assertThat(json.path("ases").findValuesAsText("role")).contains("core", "concentrator", "head-end");
    assertThat(json.path("ases").findValuesAsText("daemon")).contains("127." + block.number() + ".112.1:30255");
    assertThat(Path.of(json.path("binaries").asText()).resolve("router")).isExecutable();

    Cli.Result cut = Cli.run("testbed", "link", "down", "1-ff00:0:111#1", "--dir", runDir.toString());
    assertThat(cut.exitCode()).as(cut.err()).isZero();
    JsonNode after = new ObjectMapper().readTree(Cli.run("testbed", "status", "--json", "--dir", runDir.toString()).out());
    assertThat(after.path("linksDown").toString()).contains("1-ff00:0:111#1");
    assertThat(Cli.run("testbed", "link", "up", "1-ff00:0:111#1", "--dir", runDir.toString()).exitCode()).isZero();

    Cli.Result badItf = Cli.run("testbed", "link", "down", "1-ff00:0:111", "--dir", runDir.toString());
    assertThat(badItf.exitCode()).isEqualTo(2);
    assertThat(badItf.err().strip()).doesNotContain("\n").contains("ISD-AS#IFID");
    Cli.Result noSuchItf = Cli.run("testbed", "link", "down", "1-ff00:0:111#7", "--dir", runDir.toString());
    assertThat(noSuchItf.exitCode()).isEqualTo(2);
    assertThat(noSuchItf.err()).contains("has no interface 7").doesNotContain("Exception");
    Cli.Result twice = Cli.run("testbed", "up", "--dir", runDir.toString());
    assertThat(twice.exitCode()).isEqualTo(1);
    assertThat(twice.err()).contains("already running");
  }

  /** A functional check of the benchmark (its numbers are for the report): no reading lost, every cut switched. */
  @Test
  void benchFailoverLosesNoReadingFromEitherClient() throws Exception {
    for (String client : List.of("cli", "headend")) {
      Path out = tmp.resolve("failover-" + client);
      Cli.Result r = Cli.run("bench", "failover", "--cuts", "2", "--client", client, "--testbed-dir",
          runDir.toString(), "--out", out.toString());
      assertThat(r.exitCode()).as(r.out() + r.err()).isZero();
      JsonNode json = new ObjectMapper().readTree(out.resolve("failover.json").toFile());
      assertThat(json.path("lost").asInt()).isZero();
      assertThat(json.path("perCut")).hasSize(2);
      // every cut was of an uplink of the concentrator, and readings went on over the other one
      assertThat(json.path("perCut").findValuesAsText("link")).allMatch(l -> l.startsWith("1-ff00:0:111#"));
      assertThat(json.path("perCut").findValues("readingsDuring")).allMatch(n -> n.asInt() > 0);
      assertThat(Files.readString(out.resolve("report.md"))).contains("| readings lost | 0 | 0 |");
    }
  }

  /** A functional check of the flood benchmark: the meter drops the outsider's datagrams and readings go on. */
  @Test
  void benchFloodIsDroppedBeforeDlmsAndReadingsGoOn() throws Exception {
    Path out = tmp.resolve("flood");
    Cli.Result r = Cli.run("bench", "flood", "--duration", "2", "--rate", "500", "--testbed-dir", runDir.toString(),
        "--out", out.toString());
    assertThat(r.exitCode()).as(r.out() + r.err()).isZero();
    JsonNode json = new ObjectMapper().readTree(out.resolve("flood.json").toFile());
    assertThat(json.path("outsiderPath").asText()).startsWith("[1-ff00:0:113 ").endsWith(" 1-ff00:0:111]");
    long sent = json.path("sent").asLong();
    assertThat(sent).isPositive();
    assertThat(json.path("droppedEarly").asLong()).isPositive().isLessThanOrEqualTo(sent);
    assertThat(json.path("flooded").path("delay").path("failures").asInt()).isZero();
    assertThat(json.path("flooded").path("delay").path("count").asInt()).isPositive();
    assertThat(Files.readString(out.resolve("report.md"))).contains("| read p99 (ms) |");
  }

  @Test
  void statusOfNothingRunning() throws Exception {
    Path empty = Files.createDirectories(tmp.resolve("none"));
    Cli.Result r = Cli.run("testbed", "status", "--dir", empty.toString());
    assertThat(r.exitCode()).isEqualTo(3);
    assertThat(r.out()).contains("not running");
  }
}
