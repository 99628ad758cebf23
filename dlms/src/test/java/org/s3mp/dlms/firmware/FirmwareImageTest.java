package org.s3mp.dlms.firmware;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FirmwareImageTest {
  static final KeyPair KEYS = FirmwareImage.generateKeyPair();
  static final byte[] PAYLOAD = "firmware payload \n\n with blank lines \u0000\u0001".getBytes(StandardCharsets.UTF_8);

  private static byte[] signed() {
    return FirmwareImage.sign("s3mp-meter 1.1", PAYLOAD, true, KEYS.getPrivate()).encode();
  }

  @Test
  void aSignedImageParsesAndVerifies() throws Exception {
    FirmwareImage image = FirmwareImage.parse(signed());
    image.verify(KEYS.getPublic());
    assertThat(image.firmwareId()).isEqualTo("s3mp-meter 1.1");
    assertThat(image.selfTestPasses()).isTrue();
    assertThat(image.payloadSha256()).hasSize(64);
    assertThat(FirmwareImage.parse(image.encode()).encode()).isEqualTo(image.encode());
    assertThat(FirmwareImage.parse(
        FirmwareImage.sign("x", PAYLOAD, false, KEYS.getPrivate()).encode()).selfTestPasses()).isFalse();
  }

  @Test
  void aChangedPayloadByteFailsTheHash() throws Exception {
    byte[] b = signed();
    b[b.length - 3] ^= 1;
    FirmwareImage image = FirmwareImage.parse(b);
    assertThatThrownBy(() -> image.verify(KEYS.getPublic()))
        .hasMessageContaining("SHA-256 differs");
  }

  @Test
  void aTruncatedOrExtendedPayloadFails() throws Exception {
    byte[] b = signed();
    assertThatThrownBy(() -> FirmwareImage.parse(Arrays.copyOf(b, b.length - 1)).verify(KEYS.getPublic()))
        .hasMessageContaining("the manifest says");
    assertThatThrownBy(() -> FirmwareImage.parse(Arrays.copyOf(b, b.length + 1)).verify(KEYS.getPublic()))
        .hasMessageContaining("the manifest says");
  }

  @Test
  void aChangedManifestFailsTheSignature() throws Exception {
    String text = new String(signed(), StandardCharsets.ISO_8859_1).replace("self-test pass", "self-test fail");
    FirmwareImage image = FirmwareImage.parse(text.getBytes(StandardCharsets.ISO_8859_1));
    assertThatThrownBy(() -> image.verify(KEYS.getPublic())).hasMessageContaining("signature does not verify");
  }

  @Test
  void anotherKeysSignatureFails() throws Exception {
    FirmwareImage image = FirmwareImage.parse(
        FirmwareImage.sign("s3mp-meter 1.1", PAYLOAD, true, FirmwareImage.generateKeyPair().getPrivate()).encode());
    assertThatThrownBy(() -> image.verify(KEYS.getPublic())).hasMessageContaining("signature does not verify");
  }

  @Test
  void malformedBundlesAreRefusedWithAReason() {
    assertThatThrownBy(() -> FirmwareImage.parse(new byte[0])).hasMessageContaining("no manifest");
    assertThatThrownBy(() -> FirmwareImage.parse("hello\n\npayload".getBytes(StandardCharsets.US_ASCII)))
        .hasMessageContaining("not a firmware image");
    String noSig = "s3mp-firmware-image 1\nfirmware-id a\n\n";
    assertThatThrownBy(() -> FirmwareImage.parse(noSig.getBytes(StandardCharsets.US_ASCII)))
        .hasMessageContaining("without signature");
    String extra = new String(signed(), StandardCharsets.ISO_8859_1)
        .replace("self-test pass\n", "self-test pass\nboot-anyway yes\n");
    assertThatThrownBy(() -> FirmwareImage.parse(extra.getBytes(StandardCharsets.ISO_8859_1)))
        .isInstanceOf(FirmwareImage.InvalidImageException.class);
    String twice = new String(signed(), StandardCharsets.ISO_8859_1)
        .replace("self-test pass\n", "self-test pass\nself-test fail\n");
    assertThatThrownBy(() -> FirmwareImage.parse(twice.getBytes(StandardCharsets.ISO_8859_1)))
        .hasMessageContaining("repeated");
    assertThatThrownBy(() -> FirmwareImage.sign("bad\nid", PAYLOAD, true, KEYS.getPrivate()))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void keysRoundTripThroughPem(@TempDir Path dir) throws Exception {
    Files.writeString(dir.resolve("k.pub"), FirmwareImage.pem(KEYS.getPublic()));
    Files.writeString(dir.resolve("k.key"), FirmwareImage.pem(KEYS.getPrivate()));
    FirmwareImage image = FirmwareImage.sign("a", PAYLOAD, true, FirmwareImage.readPrivateKey(dir.resolve("k.key")));
    FirmwareImage.parse(image.encode()).verify(FirmwareImage.readPublicKey(dir.resolve("k.pub")));
    assertThatThrownBy(() -> FirmwareImage.readPublicKey(dir.resolve("k.key"))).hasMessageContaining("no PEM");
  }
}
