package org.s3mp.dlms.drkey;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;
import org.s3mp.scion.ScionAddress;
import org.s3mp.scion.daemon.DrKey;

class DrkeyDerivationTest {
  private static final HexFormat HEX = HexFormat.of();

  @Test
  void hkdfMatchesRfc5869TestCase1() {
    byte[] ikm = HEX.parseHex("0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b");
    byte[] salt = HEX.parseHex("000102030405060708090a0b0c");
    byte[] info = HEX.parseHex("f0f1f2f3f4f5f6f7f8f9");
    byte[] prk = Hkdf.extract(salt, ikm);
    assertThat(HEX.formatHex(prk)).isEqualTo("077709362c2e32df0ddc3f0dc47bba6390b6c73bb50f9c3122ec844ad7c2b3e5");
    assertThat(HEX.formatHex(Hkdf.expand(prk, info, 42))).isEqualTo(
        "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865");
  }

  private static final DrKey RAW = new DrKey(Instant.parse("2026-11-25T00:00:00Z"),
      Instant.parse("2026-11-26T00:00:00Z"), HEX.parseHex("00112233445566778899aabbccddeeff"));

  private static final ScionAddress METER = ScionAddress.parse("1-ff00:0:111,[127.0.111.1]:4059");
  private static final ScionAddress CLIENT = ScionAddress.parse("1-ff00:0:112,[127.0.112.1]:40000");
  private static final ScionAddress OTHER_CLIENT = ScionAddress.parse("1-ff00:0:113,[127.0.113.1]:40000");

  @Test
  void authenticationAndEncryptionKeysDifferFromEachOtherAndFromTheDrkey() {
    DlmsKeys k = DrkeyKeySource.derive(RAW, METER, CLIENT);
    assertThat(k.keys().authenticationKey()).hasSize(16).isNotEqualTo(k.keys().encryptionKey())
        .isNotEqualTo(RAW.key());
    assertThat(k.keys().encryptionKey()).hasSize(16).isNotEqualTo(RAW.key());
    assertThat(k.keyId()).hasSize(12);
    assertThat(DrkeyKeySource.derive(RAW, METER, CLIENT)).isEqualTo(k);
    assertThat(DrkeyKeySource.derive(RAW, METER, OTHER_CLIENT).keyId()).isNotEqualTo(k.keyId());
    assertThat(DrkeyKeySource.derive(RAW, METER, OTHER_CLIENT).keys()).isNotEqualTo(k.keys());
    // the association's system titles are the two hosts': the client's is the client system title
    assertThat(k.keys().clientSystemTitle()).isEqualTo(DrkeyKeySource.systemTitle(CLIENT));
    assertThat(k.keys().serverSystemTitle()).isEqualTo(DrkeyKeySource.systemTitle(METER));
  }

  @Test
  void neverPrintsAKey() {
    DlmsKeys k = DrkeyKeySource.derive(RAW, METER, CLIENT);
    assertThat(k.toString()).contains(k.keyId())
        .doesNotContain(HEX.formatHex(k.keys().authenticationKey()))
        .doesNotContain(HEX.formatHex(k.keys().encryptionKey()));
  }

  @Test
  void reservedProtocolNumbersAreRefused() {
    assertThatThrownBy(() -> new DrkeyKeySource(null, 1, java.time.Clock.systemUTC()))
        .hasMessageContaining("reserved");
  }
}
