package org.s3mp.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code s3mp firmware} against a real meter process trusting one firmware key: a good image becomes the active
 * firmware and stays so across a restart; a tampered image, one signed by another key and one that fails to start
 * leave the firmware as it was.
 */
class FirmwareCommandIT {
  @TempDir Path tmp;
  MeterProcess meter;

  /** Starts the meter on the data directory and returns its URL (a new port each start). */
  private String startMeter() throws Exception {
    meter = MeterProcess.start(tmp, "tcp://127.0.0.1:0", "--firmware-key", tmp.resolve("vendor.pub").toString());
    return meter.url();
  }

  @AfterEach
  void stop() throws Exception {
    if (meter != null) {
      meter.close();
    }
  }

  private Cli.Result ok(String... args) throws Exception {
    Cli.Result r = Cli.run(args);
    assertThat(r.exitCode()).as(String.join(" ", args) + ": " + r.err()).isZero();
    return r;
  }

  private String activeFirmware(String url) throws Exception {
    Matcher m = Pattern.compile("(?m)^active firmware (.+)$")
        .matcher(ok("firmware", "status", url, "--keys", tmp.resolve("meter.keys").toString()).out());
    assertThat(m.find()).isTrue();
    return m.group(1);
  }

  private Cli.Result push(String url, Path image) throws Exception {
    return Cli.run("firmware", "push", url, "--image", image.toString(), "--keys", tmp.resolve("meter.keys").toString());
  }

  @Test
  void onlyGoodImagesSignedByTheTrustedKeyBecomeTheActiveFirmware() throws Exception {
    ok("firmware", "keygen", "--out", tmp.resolve("vendor").toString());
    ok("firmware", "keygen", "--out", tmp.resolve("other").toString());
    Path payload = tmp.resolve("payload.bin");
    byte[] bytes = new byte[5000];
    new java.util.Random(18).nextBytes(bytes);
    Files.write(payload, bytes);
    Path good = tmp.resolve("good.img");
    ok("firmware", "sign", "--key", tmp.resolve("vendor.key").toString(), "--id", "s3mp-meter 9.1-it",
        "--payload", payload.toString(), "--out", good.toString());

    String url = startMeter();
    String builtIn = activeFirmware(url);
    assertThat(builtIn).startsWith("s3mp-meter ").isNotEqualTo("s3mp-meter 9.1-it");

    Cli.Result pushed = push(url, good);
    assertThat(pushed.exitCode()).as(pushed.err()).isZero();
    assertThat(pushed.out()).contains("sent " + Files.size(good) + " of " + Files.size(good) + " bytes")
        .contains("active firmware s3mp-meter 9.1-it");
    assertThat(activeFirmware(url)).isEqualTo("s3mp-meter 9.1-it");

    // one payload bit flipped: the hash no longer matches the signed manifest
    byte[] tampered = Files.readAllBytes(good);
    tampered[tampered.length - 100] ^= 0x01;
    Path bad = tmp.resolve("tampered.img");
    Files.write(bad, tampered);
    Cli.Result refused = push(url, bad);
    assertThat(refused.exitCode()).isEqualTo(1);
    assertThat(refused.err()).contains("refused the image").contains("firmware is unchanged");
    assertThat(meter.log()).contains("image_verify refused: image refused: payload SHA-256 differs");

    Path foreign = tmp.resolve("foreign.img");
    ok("firmware", "sign", "--key", tmp.resolve("other.key").toString(), "--id", "s3mp-meter 6.6-evil",
        "--payload", payload.toString(), "--out", foreign.toString());
    Cli.Result foreignRefused = push(url, foreign);
    assertThat(foreignRefused.exitCode()).isEqualTo(1);
    assertThat(foreignRefused.err()).contains("refused the image");
    assertThat(meter.log()).contains("signature does not verify with the trusted firmware key");
    assertThat(activeFirmware(url)).isEqualTo("s3mp-meter 9.1-it");

    // signed and intact, but the new firmware does not start: the meter goes back to the one before
    Path broken = tmp.resolve("broken.img");
    ok("firmware", "sign", "--key", tmp.resolve("vendor.key").toString(), "--id", "s3mp-meter 9.2-broken",
        "--payload", payload.toString(), "--out", broken.toString(), "--simulate-start-failure");
    Cli.Result rolledBack = push(url, broken);
    assertThat(rolledBack.exitCode()).isEqualTo(1);
    assertThat(rolledBack.err()).contains("failed to start").contains("rolled back to s3mp-meter 9.1-it");
    assertThat(activeFirmware(url)).isEqualTo("s3mp-meter 9.1-it");

    meter.close();
    String restarted = startMeter();
    assertThat(activeFirmware(restarted)).isEqualTo("s3mp-meter 9.1-it");

    // activation at a time of the meter's clock, through the image activation schedule
    Path scheduled = tmp.resolve("scheduled.img");
    ok("firmware", "sign", "--key", tmp.resolve("vendor.key").toString(), "--id", "s3mp-meter 9.3-scheduled",
        "--payload", payload.toString(), "--out", scheduled.toString());
    Cli.Result later = ok("firmware", "push", restarted, "--image", scheduled.toString(), "--keys",
        tmp.resolve("meter.keys").toString(), "--activate-at", "+3");
    assertThat(later.out()).contains("activation scheduled for 20").contains("active firmware s3mp-meter 9.1-it");
    await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500))
        .until(() -> activeFirmware(restarted).equals("s3mp-meter 9.3-scheduled"));
    assertThat(meter.log()).contains("firmware s3mp-meter 9.3-scheduled started");

    Cli.Result withoutKeys = Cli.run("firmware", "push", restarted, "--image", good.toString());
    assertThat(withoutKeys.exitCode()).isEqualTo(2);
    assertThat(withoutKeys.err()).contains("needs the management client");
    Cli.Result notAnImage = Cli.run("firmware", "push", restarted, "--image", payload.toString(), "--keys",
        tmp.resolve("meter.keys").toString());
    assertThat(notAnImage.exitCode()).isEqualTo(2);
    assertThat(notAnImage.err()).contains("--image");
  }
}
