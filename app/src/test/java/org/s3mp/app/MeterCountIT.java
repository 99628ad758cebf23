package org.s3mp.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.s3mp.dlms.MeterObjects;
import org.s3mp.dlms.client.ClientSecurity;
import org.s3mp.dlms.client.MeterClient;
import org.s3mp.dlms.security.KeysFile;
import org.s3mp.dlms.transport.MeterUrl;

/** {@code s3mp meter --count 3} as a real process: three meters on consecutive ports, each with its own keys. */
class MeterCountIT {
  @TempDir
  Path dir;

  record Started(String serial, MeterUrl url, Path data, Path keys) {}

  @Test
  void threeMetersInOneProcessEachWithItsOwnKeysAndState() throws Exception {
    int base = org.s3mp.bench.FleetBenchmark.freeConsecutivePorts(3);
    Path data = dir.resolve("data");
    List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", System.getProperty("java.class.path"), S3mp.class.getName(), "meter", "--simulated", "--count", "3",
        "--listen", "tcp://127.0.0.1:" + base, "--data", data.toString()));
    Path out = dir.resolve("meters.out");
    Process meters = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(out.toFile()).start();
    try {
      await().atMost(Duration.ofSeconds(60)).until(() -> Files.readString(out).contains("3 meters running")
          || !meters.isAlive());
      assertThat(meters.isAlive()).as("meter process; output: %s", Files.readString(out)).isTrue();
      Matcher m = Pattern.compile("meter (\\S+) listening on (\\S+) \\(data (\\S+), keys (\\S+)\\)")
          .matcher(Files.readString(out));
      List<Started> started = new ArrayList<>();
      while (m.find()) {
        started.add(new Started(m.group(1), MeterUrl.parse(m.group(2)), Path.of(m.group(3)), Path.of(m.group(4))));
      }
      assertThat(started).extracting(Started::url).containsExactly(
          MeterUrl.parse("tcp://127.0.0.1:" + base), MeterUrl.parse("tcp://127.0.0.1:" + (base + 1)),
          MeterUrl.parse("tcp://127.0.0.1:" + (base + 2)));
      assertThat(started).extracting(Started::data)
          .containsExactly(data.resolve("meter-0001"), data.resolve("meter-0002"), data.resolve("meter-0003"));
      assertThat(new HashSet<>(started.stream().map(Started::serial).toList())).as("serial numbers").hasSize(3);

      List<KeysFile> keys = new ArrayList<>();
      for (Started s : started) {
        assertThat(s.keys()).isEqualTo(s.data().resolve("meter.keys"));
        KeysFile k = KeysFile.load(s.keys());
        keys.add(k);
        try (MeterClient c = MeterClient.open(s.url(), ClientSecurity.management(k), Duration.ofSeconds(5))) {
          assertThat(c.readRegister(MeterObjects.VOLTAGE_L1).value().doubleValue()).isBetween(180.0, 260.0);
        }
        assertThat(s.data().resolve("counters.properties")).as("its own invocation counters").exists();
      }
      assertThat(new HashSet<>(keys)).as("every meter has its own keys").hasSize(3);
      // one meter's keys do not open another meter
      assertThatThrownBy(() -> {
        try (MeterClient c = MeterClient.open(started.get(1).url(), ClientSecurity.management(keys.get(0)),
            Duration.ofSeconds(3))) {
          c.readRegister(MeterObjects.VOLTAGE_L1);
        }
      }).isInstanceOf(Exception.class);
    } finally {
      meters.destroy();
      meters.waitFor();
    }
  }
}
