package org.s3mp.meter;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.s3mp.meter.source.SimulatedMeter;

/** The simulated energy register integrates elapsed time, not clock jumps. */
class SimulatedMeterTest {
  final AtomicReference<Instant> clock = new AtomicReference<>(Instant.parse("2026-03-01T12:00:00Z"));
  final SimulatedMeter meter = new SimulatedMeter(42, clock::get, BigDecimal.valueOf(1000));

  @Test
  void energyGrowsWithElapsedTime() {
    clock.set(clock.get().plus(Duration.ofHours(1)));
    // base load alone is >= 110 W
    assertThat(meter.energyImportWh()).isGreaterThan(BigDecimal.valueOf(1100));
  }

  @Test
  void aForwardSetAddsNoEnergy() {
    clock.set(clock.get().plusSeconds(600));
    BigDecimal before = meter.energyImportWh();
    Instant later = clock.get().plus(Duration.ofHours(5));
    meter.clockSet(later);
    clock.set(later);
    assertThat(meter.energyImportWh()).isEqualByComparingTo(before);
  }

  @Test
  void aBackwardSetLosesNoEnergy() {
    clock.set(clock.get().plusSeconds(600));
    Instant earlier = clock.get().minus(Duration.ofHours(2));
    meter.clockSet(earlier);
    clock.set(earlier);
    BigDecimal atSet = meter.energyImportWh();
    clock.set(earlier.plus(Duration.ofHours(1)));
    // without the fix the register stood still until the clock was back where it was set from
    assertThat(meter.energyImportWh()).isGreaterThan(atSet.add(BigDecimal.valueOf(100)));
  }
}
