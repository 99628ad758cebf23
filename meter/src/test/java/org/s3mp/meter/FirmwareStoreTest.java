package org.s3mp.meter;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.s3mp.dlms.MeterEvent;
import org.s3mp.dlms.firmware.FirmwareImage;
import org.s3mp.dlms.server.ImageTransferTarget.Refused;

class FirmwareStoreTest {
  static final KeyPair KEYS = FirmwareImage.generateKeyPair();
  @TempDir Path dir;
  final List<MeterEvent> events = new ArrayList<>();

  private FirmwareStore open() throws Exception {
    return new FirmwareStore(dir, KEYS.getPublic(), "built-in 1.0", events::add);
  }

  private static byte[] image(String id, int payloadBytes, boolean selfTest) {
    byte[] payload = new byte[payloadBytes];
    Arrays.fill(payload, (byte) 7);
    return FirmwareImage.sign(id, payload, selfTest, KEYS.getPrivate()).encode();
  }

  private static void transfer(FirmwareStore s, String id, byte[] image) throws Refused {
    s.initiate(id.getBytes(StandardCharsets.US_ASCII), image.length);
    for (int off = 0, n = 0; off < image.length; off += FirmwareStore.BLOCK_SIZE, n++) {
      s.block(n, Arrays.copyOfRange(image, off, Math.min(image.length, off + FirmwareStore.BLOCK_SIZE)));
    }
  }

  @Test
  void anActivatedImageIsTheActiveFirmwareAfterARestart() throws Exception {
    FirmwareStore s = open();
    assertThat(s.activeId()).isEqualTo("built-in 1.0");
    transfer(s, "fw 2", image("fw 2", 2000, true));
    assertThat(s.status().firstMissingBlock()).isEqualTo(5);
    s.verify();
    assertThat(s.status().transferStatus()).isEqualTo(3);
    assertThat(s.status().signature()).hasSize(64);
    s.activate();
    assertThat(s.status().transferStatus()).isEqualTo(6);
    assertThat(s.activeId()).isEqualTo("fw 2");
    assertThat(s.previousId()).isEqualTo("built-in 1.0");
    assertThat(events).containsExactly(MeterEvent.FIRMWARE_ACTIVATED);
    assertThat(open().activeId()).isEqualTo("fw 2");
  }

  @Test
  void aBadImageIsRefusedAtVerifyAndChangesNothing() throws Exception {
    FirmwareStore s = open();
    byte[] bad = image("fw 2", 1000, true);
    bad[bad.length - 1] ^= 1;
    transfer(s, "fw 2", bad);
    assertThatThrownBy(s::verify).isInstanceOf(Refused.class).hasMessageContaining("SHA-256");
    assertThat(s.status().transferStatus()).isEqualTo(4);
    assertThatThrownBy(s::activate).hasMessageContaining("no verified image");
    assertThat(s.activeId()).isEqualTo("built-in 1.0");
    assertThat(events).containsExactly(MeterEvent.FIRMWARE_VERIFICATION_FAILED);
    assertThat(dir.resolve("incoming.part")).doesNotExist();
  }

  @Test
  void theIdentifierMustBeTheSignedFirmwareId() throws Exception {
    FirmwareStore s = open();
    byte[] img = image("fw 2", 100, true);
    s.initiate("fw 3".getBytes(StandardCharsets.US_ASCII), img.length);
    s.block(0, img);
    assertThatThrownBy(s::verify).hasMessageContaining("not the image's firmware id");
  }

  @Test
  void aFirmwareThatFailsToStartIsRolledBack() throws Exception {
    FirmwareStore s = open();
    transfer(s, "fw 2", image("fw 2", 700, true));
    s.verify();
    s.activate();
    transfer(s, "fw 3", image("fw 3", 700, false));
    s.verify();
    assertThatThrownBy(s::activate).hasMessageContaining("fw 3 failed to start").hasMessageContaining("fw 2");
    assertThat(s.status().transferStatus()).isEqualTo(7);
    assertThat(s.activeId()).isEqualTo("fw 2");
    assertThat(events).containsExactly(MeterEvent.FIRMWARE_ACTIVATED, MeterEvent.FIRMWARE_ROLLED_BACK);
    FirmwareImage.parse(Files.readAllBytes(dir.resolve("active.img"))).verify(KEYS.getPublic());
    assertThat(FirmwareImage.parse(Files.readAllBytes(dir.resolve("active.img"))).firmwareId()).isEqualTo("fw 2");
    assertThat(open().activeId()).isEqualTo("fw 2");
  }

  @Test
  void anActivationCutShortIsCheckedAgainAtTheNextStart() throws Exception {
    FirmwareStore s = open();
    transfer(s, "fw 2", image("fw 2", 700, true));
    s.verify();
    s.activate();
    // as if the agent died right after installing fw 3, before its start check, and its image got damaged
    Files.move(dir.resolve("active.img"), dir.resolve("previous.img"));
    byte[] damaged = image("fw 3", 700, true);
    damaged[damaged.length - 1] ^= 1;
    Files.write(dir.resolve("active.img"), damaged);
    Files.writeString(dir.resolve("state.properties"), "active.id=fw 3\nprevious.id=fw 2\ntrial=true\n");
    events.clear();
    FirmwareStore restarted = open();
    assertThat(restarted.activeId()).isEqualTo("fw 2");
    assertThat(events).containsExactly(MeterEvent.FIRMWARE_ROLLED_BACK);
  }

  @Test
  void aScheduledActivationHappensWhenDueEvenAfterARestart() throws Exception {
    FirmwareStore s = open();
    java.time.Instant at = java.time.Instant.parse("2030-01-01T00:00:00Z");
    assertThatThrownBy(() -> s.scheduleActivation(at)).hasMessageContaining("no verified image");
    transfer(s, "fw 2", image("fw 2", 900, true));
    s.verify();
    s.scheduleActivation(at);
    s.activateIfDue(at.minusSeconds(1));
    assertThat(s.activeId()).isEqualTo("built-in 1.0");

    FirmwareStore restarted = open();
    assertThat(restarted.scheduledActivation()).isEqualTo(at);
    assertThat(restarted.status().transferStatus()).isEqualTo(3);
    restarted.activateIfDue(at);
    assertThat(restarted.activeId()).isEqualTo("fw 2");
    assertThat(restarted.scheduledActivation()).isNull();
    assertThat(events).containsExactly(MeterEvent.FIRMWARE_ACTIVATED);

    transfer(restarted, "fw 3", image("fw 3", 900, true));
    restarted.verify();
    restarted.scheduleActivation(at);
    restarted.scheduleActivation(null);
    restarted.activateIfDue(at.plusSeconds(10));
    assertThat(restarted.activeId()).isEqualTo("fw 2");
  }

  @Test
  void transfersOutsideTheLimitsAreRefused() throws Exception {
    FirmwareStore s = open();
    assertThatThrownBy(() -> s.block(0, new byte[1])).hasMessageContaining("no image transfer initiated");
    assertThatThrownBy(() -> s.initiate("a".getBytes(StandardCharsets.US_ASCII), FirmwareStore.MAX_IMAGE_BYTES + 1))
        .hasMessageContaining("must be 1 to");
    s.initiate("a".getBytes(StandardCharsets.US_ASCII), 600);
    assertThatThrownBy(() -> s.block(2, new byte[1])).hasMessageContaining("outside");
    assertThatThrownBy(() -> s.block(0, new byte[100])).hasMessageContaining("expected 512");
    s.block(1, new byte[88]);
    assertThatThrownBy(s::verify).hasMessageContaining("block 0 of 2 not transferred");
    FirmwareStore untrusting = new FirmwareStore(dir.resolve("other"), null, "b", events::add);
    assertThatThrownBy(() -> untrusting.initiate("a".getBytes(StandardCharsets.US_ASCII), 10))
        .hasMessageContaining("--firmware-key");
  }
}
