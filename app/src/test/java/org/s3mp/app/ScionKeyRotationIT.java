package org.s3mp.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.s3mp.dlms.security.KeysFile;
import org.s3mp.headend.Headend;
import org.s3mp.headend.keys.MasterKey;
import org.s3mp.testbed.Testbed;

/**
 * Key rotation over native SCION on the testbed: an {@code s3mp meter} process in the concentrator AS with static
 * keys, the head-end in its own AS rotating them; afterwards {@code s3mp read} over SCION is refused with the old
 * keys and served with the new.
 */
class ScionKeyRotationIT {
  static final String OPERATOR = "operator-token-of-the-scion-rotation-it";

  @TempDir Path tmp;
  MeterProcess meter;
  Headend headend;

  @AfterEach
  void stop() throws Exception {
    if (headend != null) {
      headend.close();
    }
    if (meter != null) {
      meter.close();
    }
  }

  @Test
  void rotatesTheKeysOfAMeterServingOverScion() throws Exception {
    Testbed tb = Testbed.shared();
    String headendDaemon = tb.daemonHostPort(tb.headEnd());
    meter = ConcentratorSetup.meter(tb, tmp);
    String url = meter.url();
    Path keys = meter.keys();
    Files.copy(keys, tmp.resolve("old.keys"));
    KeysFile old = KeysFile.load(keys);
    headend = ConcentratorSetup.headend(tb, tmp, meter, OPERATOR, Optional.of(MasterKey.random()));

    Cli.Result rotate = Cli.run("keys", "rotate", "m1", "--headend", headend.baseUri().toString(), "--token", OPERATOR);
    assertThat(rotate.exitCode()).as(rotate.err()).isZero();
    KeysFile now = KeysFile.load(keys);
    assertThat(rotate.out()).contains("keys " + old.keyId() + " retired, now " + now.keyId());

    Cli.Result refused = Cli.run("read", url, "--keys", tmp.resolve("old.keys").toString(), "--daemon", headendDaemon);
    assertThat(refused.exitCode()).as(refused.out()).isEqualTo(1);
    assertThat(refused.err()).contains("refused");
    Cli.Result read = Cli.run("read", url, "--keys", keys.toString(), "--daemon", headendDaemon);
    assertThat(read.exitCode()).as(read.err()).isZero();
    assertThat(read.out()).contains("1.0.32.7.0.255");
  }
}
