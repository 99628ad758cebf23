package org.s3mp.meter;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.s3mp.dlms.MeterObjects;
import org.s3mp.meter.source.RegisterMap;

class RegisterMapTest {
  @Test
  void shippedMapsLoad() throws Exception {
    for (String name : RegisterMap.SHIPPED) {
      RegisterMap m = RegisterMap.load(name);
      assertThat(m.point(MeterObjects.VOLTAGE_L1)).as(name).isPresent();
      assertThat(m.point(MeterObjects.ACTIVE_ENERGY_IMPORT)).as(name).isPresent();
    }
    assertThat(RegisterMap.load("or-we-514").name()).isEqualTo("Orno OR-WE-514");
  }

  @Test
  void decodesWordOrdersAndTypes() {
    RegisterMap m = RegisterMap.parse("t", """
        1.0.1.7.0.255  3 0x10 s32 little 0.001 kW
        1.0.32.7.0.255 4 0    f32 big    1     V
        """);
    assertThat(m.point(MeterObjects.ACTIVE_POWER_IMPORT).orElseThrow().decode(new int[] {0xFFFF, 0xFFFF}))
        .isEqualByComparingTo("-1");
    assertThat(m.point(MeterObjects.ACTIVE_POWER_IMPORT).orElseThrow().decode(new int[] {1500, 0}))
        .isEqualByComparingTo("1500");
    int bits = Float.floatToIntBits(230.5f);
    assertThat(m.point(MeterObjects.VOLTAGE_L1).orElseThrow().decode(new int[] {bits >>> 16, bits & 0xFFFF}))
        .isEqualByComparingTo("230.5");
  }

  @Test
  void badMapsAreRefusedWithTheLine() {
    assertThatThrownBy(() -> RegisterMap.parse("t", "1.0.32.7.0.255 3 0 u16 big 0.1 W"))
        .hasMessageContaining("line 1").hasMessageContaining("unit W does not fit");
    assertThatThrownBy(() -> RegisterMap.parse("t", "9.9.9.9.9.9 3 0 u16 big 1 V"))
        .hasMessageContaining("not a register");
    assertThatThrownBy(() -> RegisterMap.parse("t", "1.0.32.7.0.255 5 0 u16 big 1 V"))
        .hasMessageContaining("function must be 3 or 4");
    assertThatThrownBy(() -> RegisterMap.load("no-such-map")).hasMessageContaining("shipped");
  }
}
