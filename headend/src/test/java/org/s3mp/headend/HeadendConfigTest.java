package org.s3mp.headend;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.s3mp.headend.auth.TokenStore;
import org.s3mp.headend.fleet.MeterSpec;
import org.s3mp.headend.polling.ClockSettings;

class HeadendConfigTest {

  @TempDir Path dir;

  /** The config file the tests' head-end processes start on reads back as it was built. */
  @Test
  void aWrittenProcessConfigLoadsAsBuilt() throws Exception {
    Path file = new HeadendProcessConfig().polling(1, 3000).token("olga", "operator", "a-secret")
        .meter("m1", "tcp://127.0.0.1:9").pushListener().writeTo(dir);
    HeadendConfig c = HeadendConfig.load(file);
    assertThat(c.http().bind()).isEqualTo("127.0.0.1:0");
    assertThat(c.database().url()).isEqualTo(dir.resolve("db/headend").toString());
    assertThat(c.keysDirectory()).isEqualTo(dir.resolve("keys").toString());
    assertThat(c.polling().retries()).isEqualTo(1);
    assertThat(c.polling().timeoutMillis()).isEqualTo(3000);
    // both keys land in the one retry policy, which the connector and the sessions share
    assertThat(c.retryPolicy()).isEqualTo(new org.s3mp.dlms.client.RetryPolicy(1, Duration.ofMillis(3000),
        Duration.ZERO));
    assertThat(c.pollingSettings().retry()).isEqualTo(c.retryPolicy());
    assertThat(c.clock().checkIntervalSeconds()).isEqualTo(86400);
    assertThat(c.push().listen()).isEqualTo("tcp://127.0.0.1:0");
    assertThat(c.tokens()).containsExactly(new HeadendConfig.Token("olga", "operator", TokenStore.sha256("a-secret")));
    assertThat(c.meters()).singleElement().satisfies(m -> {
      assertThat(m.id()).isEqualTo("m1");
      assertThat(m.url()).isEqualTo("tcp://127.0.0.1:9");
      assertThat(m.keysFile()).isEqualTo("m1.keys");
      assertThat(m.pollSeconds()).isZero();
    });
  }

  @Test
  void alarmRulesDefaultAndRefuseNonsense() throws Exception {
    assertThat(HeadendConfig.empty().alarmRules()).isEqualTo(org.s3mp.headend.alarms.AlarmRules.DEFAULTS);
    Path file = dir.resolve("alarms.yaml");
    Files.writeString(file, "alarms:\n  notReadIntervals: 5\n");
    assertThat(HeadendConfig.load(file).alarmRules().notReadIntervals()).isEqualTo(5);
    Files.writeString(file, "alarms:\n  failoverStormCount: 0\n");
    assertThatThrownBy(() -> HeadendConfig.load(file)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("alarms: counts and seconds must be at least 1");
  }

  /** The complete example of README-config.md is valid and means what the comments say. */
  @Test
  void theDocumentedExampleLoads() throws Exception {
    String readme = Files.readString(Path.of("README-config.md"));
    int start = readme.indexOf("```yaml\n") + 8;
    String yaml = readme.substring(start, readme.indexOf("```", start));
    Path file = dir.resolve("conf/headend.yaml");
    Files.createDirectories(file.getParent());
    Files.writeString(file, yaml);

    HeadendConfig c = HeadendConfig.load(file);
    assertThat(c.bindHost()).isEqualTo("127.0.0.1");
    assertThat(c.bindPort()).isEqualTo(8080);
    assertThat(c.http().tls().keystore()).isEqualTo(dir.resolve("conf/headend.p12").toString());
    assertThat(c.database().url()).isEqualTo(dir.resolve("conf/data/headend").toString());
    assertThat(c.database().queueCapacity()).isEqualTo(5000);
    assertThat(c.database().retentionDays()).isEqualTo(730);
    assertThat(c.pollingSettings().retry()).isEqualTo(new org.s3mp.dlms.client.RetryPolicy(1,
        Duration.ofMillis(5000), Duration.ZERO));
    assertThat(c.polling().timeoutMillis()).isEqualTo(5000);
    assertThat(c.pollingSettings().profileInterval().toSeconds()).isEqualTo(900);
    assertThat(c.pollingSettings().workers()).isEqualTo(256);
    assertThat(c.pollingSettings().associationSlots()).isEqualTo(16);
    assertThat(c.clockSettings()).isEqualTo(new ClockSettings(Duration.ofSeconds(900), Duration.ofSeconds(10), true));
    assertThat(c.alarmRules()).isEqualTo(new org.s3mp.headend.alarms.AlarmRules(3, 3, 5, Duration.ofMinutes(10),
        Duration.ofSeconds(2)));
    assertThat(c.tokens()).singleElement().satisfies(t -> {
      assertThat(t.role()).isEqualTo("operator");
      assertThat(t.sha256()).isEqualTo(TokenStore.sha256("example-operator-token"));
    });
    MeterSpec first = c.meters().get(0).toSpec();
    assertThat(first.id()).isEqualTo("house-17");
    assertThat(first.keysFile()).isEqualTo("house-17.keys");
    assertThat(c.keysDirectory()).isEqualTo(dir.resolve("conf/keys").toString());
    assertThat(first.pollSeconds()).isEqualTo(60);
    assertThat(first.profile()).isTrue();
    assertThat(c.scion().daemon()).isEqualTo("127.0.0.1:30255");
    assertThat(c.scion().attemptTimeoutMillis()).isEqualTo(500);
    MeterSpec scion = c.meters().get(2).toSpec();
    assertThat(scion.url()).isEqualTo("scion://1-ff00:0:111,[127.0.0.11]:4059");
    assertThat(scion.drkey()).isTrue();
    assertThat(scion.keysFile()).isNull();
    assertThat(scion.policy()).isEqualTo(dir.resolve("conf/isd1-only.json").toString());
    MeterSpec second = c.meters().get(1).toSpec();
    assertThat(second.pollSeconds()).isZero();
    assertThat(second.profile()).isFalse();
    assertThat(second.drkey()).isFalse();
  }

  @Test
  void defaultsWithoutAFile() {
    HeadendConfig c = HeadendConfig.empty();
    assertThat(c.http().bind()).isEqualTo("127.0.0.1:8080");
    assertThat(c.http().tls()).isNull();
    assertThat(c.database().url()).endsWith(Path.of("run", "headend", "headend").toString());
    assertThat(c.database().queueCapacity()).isEqualTo(org.s3mp.headend.storage.ReadingStore.DEFAULT_QUEUE_CAPACITY);
    assertThat(c.database().retentionDays()).isNull(); // keep every reading
    assertThat(c.meters()).isEmpty();
    assertThat(c.pollingSettings().workers()).isEqualTo(org.s3mp.headend.polling.PollingSettings.DEFAULT_WORKERS);
    assertThat(c.pollingSettings().associationSlots())
        .isEqualTo(org.s3mp.headend.polling.PollingSettings.DEFAULT_ASSOCIATION_SLOTS);
    assertThat(c.clockSettings()).isEqualTo(ClockSettings.defaults());
    assertThat(ClockSettings.defaults()).isEqualTo(new ClockSettings(Duration.ofSeconds(900), Duration.ofSeconds(10), true));
  }

  @Test
  void theClockSectionIsReadAndChecked() throws Exception {
    Path file = dir.resolve("clock.yaml");
    Files.writeString(file, "clock:\n  checkIntervalSeconds: 60\n  maxDriftSeconds: 2.5\n  autoSet: false\n");
    assertThat(HeadendConfig.load(file).clockSettings())
        .isEqualTo(new ClockSettings(Duration.ofSeconds(60), Duration.ofMillis(2500), false));
    Files.writeString(file, "clock:\n  maxDriftSeconds: 0\n");
    assertThatThrownBy(() -> HeadendConfig.load(file).clockSettings())
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("clock.maxDriftSeconds");
    Files.writeString(file, "clock:\n  checkIntervalSeconds: 0\n");
    assertThatThrownBy(() -> HeadendConfig.load(file).clockSettings())
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("clock.checkIntervalSeconds");
    Files.writeString(file, "clock:\n  maxDrift: 5\n");
    assertThatThrownBy(() -> HeadendConfig.load(file))
        .hasMessageContaining("unknown key 'maxDrift'").hasMessageContaining("maxDriftSeconds");
  }

  @Test
  void thePollingSectionIsTheOneRetryPolicy() throws Exception {
    Path file = dir.resolve("polling.yaml");
    Files.writeString(file, "polling:\n  retries: 3\n  timeoutMillis: 1500\n  backoffMillis: 200\n");
    HeadendConfig c = HeadendConfig.load(file);
    assertThat(c.retryPolicy()).isEqualTo(new org.s3mp.dlms.client.RetryPolicy(3, Duration.ofMillis(1500),
        Duration.ofMillis(200)));
    assertThat(c.pollingSettings().retry()).isEqualTo(c.retryPolicy());
    assertThat(HeadendConfig.empty().retryPolicy()).isEqualTo(org.s3mp.dlms.client.RetryPolicy.DEFAULT);
    for (String bad : new String[] {"retries: -1", "timeoutMillis: 0", "backoffMillis: -5"}) {
      Files.writeString(file, "polling:\n  " + bad + "\n");
      assertThatThrownBy(() -> HeadendConfig.load(file).pollingSettings()).as(bad)
          .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("polling: retries and backoffMillis");
    }
  }

  @Test
  void mistakesAreReportedClearly() throws Exception {
    Path typo = dir.resolve("typo.yaml");
    Files.writeString(typo, "http:\n  bnd: 127.0.0.1:1\n");
    assertThatThrownBy(() -> HeadendConfig.load(typo))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("unknown key 'bnd'").hasMessageContaining("bind");
    Path badMeter = dir.resolve("meter.yaml");
    Files.writeString(badMeter, "meters:\n  - id: m1\n    url: ftp://x\n    keysFile: k\n");
    assertThatThrownBy(() -> HeadendConfig.load(badMeter).meters().get(0).toSpec())
        .hasMessageContaining("url: no transport for ftp://");
    assertThatThrownBy(() -> HeadendConfig.empty().withBind("localhost").bindPort())
        .hasMessageContaining("HOST:PORT");
    assertThatThrownBy(() -> HeadendConfig.empty().withBind("127.0.0.1:99999").bindPort())
        .hasMessageContaining("bad port");
    assertThatThrownBy(() -> HeadendConfig.load(dir.resolve("missing.yaml"))).hasMessageContaining("cannot read config");
    Path noQueue = dir.resolve("queue.yaml");
    Files.writeString(noQueue, "database:\n  queueCapacity: 0\n");
    assertThatThrownBy(() -> HeadendConfig.load(noQueue)).isInstanceOf(IllegalArgumentException.class)
        .hasMessage("database.queueCapacity: at least 1, got 0");
    Path workers = dir.resolve("workers.yaml");
    Files.writeString(workers, "polling:\n  workers: 512\n  associationSlots: 64\n");
    assertThat(HeadendConfig.load(workers).pollingSettings().workers()).isEqualTo(512);
    assertThat(HeadendConfig.load(workers).pollingSettings().associationSlots()).isEqualTo(64);
    Files.writeString(workers, "polling:\n  workers: 0\n");
    assertThatThrownBy(() -> HeadendConfig.load(workers)).isInstanceOf(IllegalArgumentException.class)
        .hasMessage("polling.workers: 1..4096, got 0");
    Files.writeString(workers, "polling:\n  workers: 8\n  associationSlots: 9\n");
    assertThatThrownBy(() -> HeadendConfig.load(workers)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("polling.associationSlots: 1..polling.workers (8");
    Path noRetention = dir.resolve("retention.yaml");
    Files.writeString(noRetention, "database:\n  retentionDays: 0\n");
    assertThatThrownBy(() -> HeadendConfig.load(noRetention)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("database.retentionDays: at least 1");
  }
}
