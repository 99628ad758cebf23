package org.s3mp.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.s3mp.headend.Headend;
import org.s3mp.testbed.Testbed;

/**
 * Firmware over native SCION on the testbed: an {@code s3mp meter} process in the concentrator AS trusting the
 * vendor's key; the head-end in its own AS rolls a signed image out to it ({@code s3mp firmware rollout start
 * --wait} through the API, the transfer through the meter's session over SCION), then {@code s3mp firmware
 * status} over SCION reads the new active firmware id back from the meter.
 */
class ScionFirmwareIT {
  static final String OPERATOR = "operator-token-of-the-scion-firmware-it1";

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

  private Cli.Result ok(String... args) throws Exception {
    Cli.Result r = Cli.run(args);
    assertThat(r.exitCode()).as(String.join(" ", args) + ": " + r.out() + r.err()).isZero();
    return r;
  }

  @Test
  void rollsASignedImageOutToAMeterServingOverScion() throws Exception {
    ok("firmware", "keygen", "--out", tmp.resolve("vendor").toString());
    Path payload = tmp.resolve("payload.bin");
    byte[] bytes = new byte[256 * 1024];
    new java.util.Random(18).nextBytes(bytes);
    Files.write(payload, bytes);
    ok("firmware", "sign", "--key", tmp.resolve("vendor.key").toString(), "--id", "s3mp-meter scion-2.0",
        "--payload", payload.toString(), "--out", tmp.resolve("fw.img").toString());

    Testbed tb = Testbed.shared();
    String headendDaemon = tb.daemonHostPort(tb.headEnd());
    meter = ConcentratorSetup.meter(tb, tmp, "--firmware-key", tmp.resolve("vendor.pub").toString());
    String url = meter.url();
    Path keys = meter.keys();
    Files.createDirectories(tmp.resolve("headend-keys/firmware-vendors"));
    Files.copy(tmp.resolve("vendor.pub"), tmp.resolve("headend-keys/firmware-vendors/vendor.pub"));
    headend = ConcentratorSetup.headend(tb, tmp, meter, OPERATOR, Optional.empty());

    Cli.Result before = ok("firmware", "status", url, "--keys", keys.toString(), "--daemon", headendDaemon);
    assertThat(before.out()).doesNotContain("scion-2.0");
    long started = System.nanoTime();
    Cli.Result rollout = ok("firmware", "rollout", "start", "--image", tmp.resolve("fw.img").toString(),
        "--meters", "m1", "--concurrency", "1", "--wait", "--headend", headend.baseUri().toString(),
        "--token", OPERATOR);
    long millis = (System.nanoTime() - started) / 1_000_000;
    assertThat(rollout.out()).contains("m1: active (s3mp-meter scion-2.0)").contains("done after");
    Cli.Result after = ok("firmware", "status", url, "--keys", keys.toString(), "--daemon", headendDaemon);
    assertThat(after.out()).contains("active firmware s3mp-meter scion-2.0");
    System.out.printf("firmware rollout over native SCION, %d-byte image to one meter: %d ms%n",
        Files.size(tmp.resolve("fw.img")), millis);
  }
}
