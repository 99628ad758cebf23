package org.s3mp.scion;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class IsdAsTest {

  @Test
  void parsesAndFormatsHexAs() {
    IsdAs ia = IsdAs.parse("1-ff00:0:110");
    assertThat(ia.isd()).isEqualTo(1);
    assertThat(ia.as()).isEqualTo(0xff00_0000_0110L);
    assertThat(ia.toString()).isEqualTo("1-ff00:0:110");
    assertThat(ia.toLong()).isEqualTo(0x0001_ff00_0000_0110L);
    assertThat(IsdAs.fromLong(ia.toLong())).isEqualTo(ia);
  }

  @Test
  void bgpStyleAsIsDecimal() {
    assertThat(IsdAs.parse("64-559").toString()).isEqualTo("64-559");
    assertThat(IsdAs.parse("2-0:0:22f").toString()).isEqualTo("2-559"); // small AS numbers print in decimal
    assertThat(IsdAs.parse("65535-ffff:ffff:ffff").toLong()).isEqualTo(-1L);
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "1", "-ff00:0:110", "1-", "1-ff00:0", "1-ff00:0:110:1", "1-fff00:0:110",
      "1-ff00::110", "65536-1", "1-4294967296", "1-ff00:0:11g", " 1-ff00:0:110", "1-ff00:0:110 ", "1--1",
      "+1-1", "1-+1", "0x1-1"})
  void rejectsMalformed(String text) {
    assertThatThrownBy(() -> IsdAs.parse(text)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'");
  }

  @Test
  void scionAddressTextForms() {
    ScionAddress a = ScionAddress.parse("1-ff00:0:111,[127.0.0.1]:4059");
    assertThat(a.isdAs()).isEqualTo(IsdAs.parse("1-ff00:0:111"));
    assertThat(a.host().getHostAddress()).isEqualTo("127.0.0.1");
    assertThat(a.port()).isEqualTo(4059);
    assertThat(a.toString()).isEqualTo("1-ff00:0:111,[127.0.0.1]:4059");

    ScionAddress v6 = ScionAddress.parse("2-ff00:0:210,[fd00::1]:31000");
    assertThat(v6.toString()).isEqualTo("2-ff00:0:210,[fd00:0:0:0:0:0:0:1]:31000");
    assertThat(ScionAddress.parse(v6.toString())).isEqualTo(v6);

    assertThat(ScionAddress.parseHost("1-ff00:0:112,127.0.0.12").port()).isZero();
    assertThat(ScionAddress.parseHost("1-ff00:0:112,[127.0.0.12]").host().getHostAddress()).isEqualTo("127.0.0.12");
  }

  @ParameterizedTest
  @ValueSource(strings = {"1-ff00:0:111", "1-ff00:0:111,127.0.0.1:4059", "1-ff00:0:111,[127.0.0.1]",
      "1-ff00:0:111,[127.0.0.1]:", "1-ff00:0:111,[127.0.0.1]:65536", "1-ff00:0:111,[localhost]:1",
      "1-ff00:0:111,[127.0.0.256]:1", "1-ff00:0:111,[127.0.0.1:1", "1-ff00:0:111,[127.0.0.1]:1x",
      "x,[127.0.0.1]:1", "1-ff00:0:111,[example.org]:80"})
  void rejectsMalformedAddresses(String text) {
    assertThatThrownBy(() -> ScionAddress.parse(text)).isInstanceOf(IllegalArgumentException.class);
  }
}
