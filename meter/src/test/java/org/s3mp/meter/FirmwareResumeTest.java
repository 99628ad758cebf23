package org.s3mp.meter;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.security.KeyPair;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.s3mp.dlms.client.ClientSecurity;
import org.s3mp.dlms.client.MeterClient;
import org.s3mp.dlms.firmware.FirmwareImage;
import org.s3mp.dlms.security.KeysFile;
import org.s3mp.dlms.transport.MeterUrl;
import org.s3mp.meter.drivers.LoggingDisplay;
import org.s3mp.meter.drivers.LoggingRelay;

/**
 * An interrupted image transfer goes on, in a new association, from the meter's
 * image_first_not_transferred_block_number; a different image under the same id and size is sent whole.
 */
class FirmwareResumeTest {
  @TempDir Path dir;
  KeysFile keys = TestKeys.random();
  KeyPair vendor = FirmwareImage.generateKeyPair();
  MeterAgent agent;
  MeterUrl url;

  @BeforeEach
  void start() throws Exception {
    agent = MeterAgent.start(new AgentConfig(dir, List.of(MeterUrl.parse("tcp://127.0.0.1:0")), keys,
        Sources.simulated(42), 900, new LoggingRelay(), new LoggingDisplay(), "TEST-1")
        .withFirmwareKey(vendor.getPublic()));
    url = agent.endpoints().get(0);
  }

  @AfterEach
  void stop() {
    agent.close();
  }

  private MeterClient client() throws Exception {
    return MeterClient.open(url, ClientSecurity.management(keys), Duration.ofSeconds(5));
  }

  private byte[] image(long seed) {
    byte[] payload = new byte[100_000];
    new Random(seed).nextBytes(payload);
    return FirmwareImage.sign("s3mp-meter 9.9", payload, true, vendor.getPrivate()).encode();
  }

  /** Sends blocks until {@code bytes} are sent, then drops the association (the progress callback throws). */
  private void interruptAfter(byte[] image, long bytes) throws Exception {
    try (MeterClient c = client()) {
      assertThatThrownBy(() -> c.transferFirmware(image, "s3mp-meter 9.9", sent -> {
        if (sent >= bytes) {
          throw new IllegalStateException("dropped");
        }
      }, step -> { }, null)).hasMessage("dropped");
    }
  }

  @Test
  void anInterruptedTransferGoesOnFromTheFirstMissingBlock() throws Exception {
    byte[] image = image(1);
    interruptAfter(image, 40_000);
    List<Long> progress = new CopyOnWriteArrayList<>();
    try (MeterClient c = client()) {
      String active = c.transferFirmware(image, "s3mp-meter 9.9", progress::add, step -> { }, null);
      assertThat(active).isEqualTo("s3mp-meter 9.9");
    }
    assertThat(progress.get(0)).as("the first report is where it went on").isEqualTo(40_448L); // 79 blocks of 512
    assertThat(progress).hasSize(1 + (image.length - 40_448 + 511) / 512);
  }

  @Test
  void anotherImageUnderTheSameIdAndSizeIsSentWhole() throws Exception {
    interruptAfter(image(1), 40_000);
    byte[] other = image(2);
    List<Long> progress = new CopyOnWriteArrayList<>();
    try (MeterClient c = client()) {
      assertThat(c.transferFirmware(other, "s3mp-meter 9.9", progress::add, step -> { }, null))
          .isEqualTo("s3mp-meter 9.9");
    }
    assertThat(progress.get(0)).isEqualTo(40_448L); // resumed first, refused at image_verify ...
    assertThat(progress).contains(512L); // ... then sent again from the first block
  }

  @Test
  void aPushWithoutResumeStartsAgain() throws Exception {
    byte[] image = image(1);
    interruptAfter(image, 40_000);
    List<Long> progress = new CopyOnWriteArrayList<>();
    try (MeterClient c = client()) {
      c.transferFirmware(image, "s3mp-meter 9.9", progress::add, null);
    }
    assertThat(progress.get(0)).isEqualTo(512L);
  }
}
