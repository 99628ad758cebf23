package org.s3mp.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.s3mp.dlms.security.KeysFile;
import org.s3mp.headend.Headend;
import org.s3mp.headend.HeadendConfig;
import org.s3mp.headend.auth.TokenStore;
import org.s3mp.headend.fleet.MeterInput;
import org.s3mp.headend.keys.MasterKey;
import org.s3mp.headend.polling.DlmsMeterConnector;

/**
 * {@code s3mp keys show|rotate} against a head-end with a master key and a real {@code s3mp meter} process with
 * generated keys: the rotation's new keys are in the meter's keys file, the old ones are refused by {@code s3mp read}.
 */
class KeysCommandIT {
  static final String OPERATOR = "operator-token-of-the-keys-command-it-1";
  static final String VIEWER = "viewer-token-of-the-keys-command-it-001";

  @TempDir static Path tmp;
  static MeterProcess meter;
  static String url;
  static Path keys;
  static Headend headend;

  @BeforeAll
  static void start() throws Exception {
    meter = MeterProcess.start(tmp, "tcp://127.0.0.1:0");
    url = meter.url();
    keys = meter.keys();
    Files.createDirectories(tmp.resolve("headend-keys"));
    Files.copy(keys, tmp.resolve("headend-keys/m1.keys"));
    Files.copy(keys, tmp.resolve("old.keys"));
    HeadendConfig config = new HeadendConfig(
        new HeadendConfig.Http("127.0.0.1:0", null),
        new HeadendConfig.Database(tmp.resolve("db/headend").toString(), null, null),
        new HeadendConfig.Polling(1, 5000, 900, 1),
        List.of(new HeadendConfig.Token("olga", "operator", TokenStore.sha256(OPERATOR)),
            new HeadendConfig.Token("vera", "viewer", TokenStore.sha256(VIEWER))),
        List.of(new MeterInput("m1", url, "m1.keys", null, false, 0, false)))
        .withKeysDirectory(tmp.resolve("headend-keys").toString()).withDefaults();
    headend = Headend.start(config, new DlmsMeterConnector(), Optional.of(MasterKey.random()));
  }

  @AfterAll
  static void stop() throws Exception {
    if (headend != null) {
      headend.close();
    }
    if (meter != null) {
      meter.close();
    }
  }

  @Test
  void rotatesThroughTheHeadendAndTheOldKeysAreRefused() throws Exception {
    String base = headend.baseUri().toString();
    KeysFile old = KeysFile.load(keys);
    assertThat(old.rotatable()).as("--generate-keys writes a key-encryption key").isTrue();

    Cli.Result show = Cli.run("keys", "show", "m1", "--headend", base, "--token", VIEWER);
    assertThat(show.exitCode()).as(show.err()).isZero();
    assertThat(show.out()).contains("meter m1: keysFile, key id " + old.keyId());

    Cli.Result viewer = Cli.run("keys", "rotate", "m1", "--headend", base, "--token", VIEWER);
    assertThat(viewer.exitCode()).isEqualTo(1);
    assertThat(viewer.err().strip()).startsWith("rotate: error: HTTP 403").doesNotContain("\n");
    Cli.Result unknown = Cli.run("keys", "rotate", "nope", "--headend", base, "--token", OPERATOR);
    assertThat(unknown.exitCode()).isEqualTo(1);
    assertThat(unknown.err()).contains("HTTP 404");

    Cli.Result rotate = Cli.run("keys", "rotate", "m1", "--headend", base, "--token", OPERATOR);
    assertThat(rotate.exitCode()).as(rotate.err()).isZero();
    KeysFile now = KeysFile.load(keys);
    assertThat(now.keyId()).isNotEqualTo(old.keyId());
    assertThat(rotate.out()).contains("keys " + old.keyId() + " retired, now " + now.keyId());
    assertThat(Cli.run("keys", "show", "m1", "--headend", base, "--token", VIEWER).out())
        .contains("meter m1: rotated, key id " + now.keyId());

    Cli.Result refused = Cli.run("read", url, "--keys", tmp.resolve("old.keys").toString());
    assertThat(refused.exitCode()).isEqualTo(1);
    assertThat(refused.err()).contains("refused");
    Cli.Result read = Cli.run("read", url, "--keys", keys.toString());
    assertThat(read.exitCode()).as(read.err()).isZero();
  }

  @Test
  void withoutATokenItSaysSo() throws Exception {
    Cli.Result r = Cli.run("keys", "rotate", "m1", "--headend", headend.baseUri().toString());
    assertThat(r.exitCode()).isEqualTo(2);
    assertThat(r.err()).contains("--token");
  }
}
