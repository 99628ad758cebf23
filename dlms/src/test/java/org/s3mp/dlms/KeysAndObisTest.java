package org.s3mp.dlms;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.s3mp.dlms.security.KeysFile;
import org.s3mp.dlms.transport.MeterUrl;

class KeysAndObisTest {
  @Test
  void obisParsesBothForms() {
    assertThat(ObisCode.parse("1.0.32.7.0.255")).isEqualTo(new ObisCode(1, 0, 32, 7, 0, 255));
    assertThat(ObisCode.parse("1-0:32.7.0*255").toString()).isEqualTo("1.0.32.7.0.255");
    assertThatThrownBy(() -> ObisCode.parse("1.0.32.7.0")).hasMessageContaining("not an OBIS code");
    assertThatThrownBy(() -> ObisCode.parse("1.0.32.7.0.256")).hasMessageContaining("0..255");
  }

  @Test
  void keysFileRoundTripAndErrors() {
    KeysFile k = KeysFile.generate(new byte[8], new byte[] {1, 2, 3, 4, 5, 6, 7, 8});
    assertThat(KeysFile.parse(k.format())).isEqualTo(k);
    assertThat(k.toString()).doesNotContain(java.util.HexFormat.of().formatHex(k.encryptionKey()));
    assertThatThrownBy(() -> KeysFile.parse("authentication-key=00\n"))
        .hasMessageContaining("authentication-key must be 16 bytes");
    assertThatThrownBy(() -> KeysFile.parse("encryption-key=zz\n")).hasMessageContaining("not hex");
    assertThatThrownBy(() -> KeysFile.parse("nonsense\n")).hasMessageContaining("name=value");
    assertThatThrownBy(() -> KeysFile.parse("encryption-key=\\u00zz\n")).hasMessageContaining("name=value")
        .hasMessageNotContaining("00zz");
  }

  @Test
  void keysFileReadsPropertiesSyntaxGroupedHexAndAnyCase() {
    String text = """
        ! written by hand
        Authentication-Key : D0D1D2D3 D4D5D6D7 D8D9DADB DCDDDEDF
        encryption-key=00:01:02:03:04:05:06:07:08:09:0A:0B:0C:0D:0E:0F
        client-system-title = 53334D50\\
            00000001
        server-system-title=53334d5000000101
        comment-for-operators=ignored
        """;
    KeysFile k = KeysFile.parse(text);
    java.util.HexFormat hex = java.util.HexFormat.of().withUpperCase();
    assertThat(hex.formatHex(k.authenticationKey())).isEqualTo("D0D1D2D3D4D5D6D7D8D9DADBDCDDDEDF");
    assertThat(hex.formatHex(k.encryptionKey())).isEqualTo("000102030405060708090A0B0C0D0E0F");
    assertThat(hex.formatHex(k.clientSystemTitle())).isEqualTo("53334D5000000001");
    assertThat(hex.formatHex(k.serverSystemTitle())).isEqualTo("53334D5000000101");
  }

  @Test
  void meterUrls() {
    MeterUrl scion = MeterUrl.parse("scion://1-ff00:0:111,[127.0.0.1]:4059");
    assertThat(scion.scheme()).isEqualTo("scion");
    assertThat(scion.address()).isEqualTo("1-ff00:0:111,[127.0.0.1]:4059");
    assertThat(MeterUrl.parse("tcp://127.0.0.1:4059").hostPort()).isEqualTo(new MeterUrl.HostPort("127.0.0.1", 4059));
    assertThat(MeterUrl.parse("tcp://[::1]:4059").hostPort().host()).isEqualTo("::1");
    assertThatThrownBy(() -> MeterUrl.parse("127.0.0.1:4059")).hasMessageContaining("not a meter URL");
    assertThatThrownBy(() -> MeterUrl.parse("tcp://host").hostPort()).hasMessageContaining("HOST:PORT");
  }
}
