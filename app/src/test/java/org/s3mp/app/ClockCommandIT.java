package org.s3mp.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code s3mp clock} against a real meter process whose clock is two minutes ahead. */
class ClockCommandIT {

  @TempDir static Path tmp;
  static MeterProcess meter;
  static String url;
  static Path keys;

  @BeforeAll
  static void startMeter() throws Exception {
    meter = MeterProcess.start(tmp, "tcp://127.0.0.1:0", "--clock-offset", "120");
    url = meter.url();
    keys = meter.keys();
  }

  @AfterAll
  static void stopMeter() throws Exception {
    if (meter != null) {
      meter.close();
    }
  }

  @Test
  void printsTheDriftAndSetsTheClock() throws Exception {
    Cli.Result read = Cli.run("clock", url);
    assertThat(read.exitCode()).as(read.err()).isZero();
    assertThat(read.out()).containsPattern("meter time 20\\d\\d-").containsPattern("local time 20\\d\\d-");
    assertThat(drifts(read.out())).singleElement().satisfies(d -> assertThat(d).isBetween(115.0, 125.0));

    Cli.Result withoutKeys = Cli.run("clock", url, "--set");
    assertThat(withoutKeys.exitCode()).isEqualTo(2);
    assertThat(withoutKeys.err()).contains("needs the management client").contains("--keys");

    Cli.Result set = Cli.run("clock", url, "--set", "--keys", keys.toString());
    assertThat(set.exitCode()).as(set.err()).isZero();
    assertThat(set.out()).contains("clock set");
    List<Double> drifts = drifts(set.out());
    assertThat(drifts).hasSize(2);
    assertThat(drifts.get(0)).isBetween(115.0, 125.0);
    assertThat(Math.abs(drifts.get(1))).isLessThan(5.0);

    Cli.Result after = Cli.run("clock", url);
    assertThat(Math.abs(drifts(after.out()).get(0))).isLessThan(5.0);
  }

  private static List<Double> drifts(String out) {
    List<Double> result = new ArrayList<>();
    Matcher m = Pattern.compile("(?m)^drift ([-+][0-9.]+) s$").matcher(out);
    while (m.find()) {
      result.add(Double.parseDouble(m.group(1)));
    }
    return result;
  }
}
