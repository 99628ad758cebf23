package org.s3mp.dlms.client;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.s3mp.dlms.MeterObjects;

class ProfileConsistencyTest {
  static final Duration PERIOD = Duration.ofMinutes(15);
  static final Instant T0 = Instant.parse("2026-03-01T10:00:00Z");

  static ProfileEntry row(int interval, long wh) {
    return new ProfileEntry(T0.plus(PERIOD.multipliedBy(interval)),
        List.of(new RegisterReading(MeterObjects.ACTIVE_ENERGY_IMPORT, BigDecimal.valueOf(wh), "Wh")));
  }

  @Test
  void regularProfileIsConsistent() {
    List<ProfileEntry> rows = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      rows.add(row(i, 1000 + 25L * i));
    }
    assertThat(ProfileConsistency.problems(rows, PERIOD)).isEmpty();
    assertThat(ProfileConsistency.problems(List.of(), PERIOD)).isEmpty();
  }

  @Test
  void duplicateTimeFromASetBackIsReported() {
    assertThat(ProfileConsistency.problems(List.of(row(0, 1), row(1, 2), row(1, 3), row(2, 4)), PERIOD))
        .containsExactly(T0.plus(PERIOD) + ": captured twice");
  }

  @Test
  void outOfOrderMissingAndMisalignedRowsAreReported() {
    assertThat(ProfileConsistency.problems(List.of(row(2, 1), row(1, 2)), PERIOD)).singleElement().asString()
        .contains("out of order");
    assertThat(ProfileConsistency.problems(List.of(row(0, 1), row(4, 2)), PERIOD))
        .containsExactly("3 capture time(s) missing between " + T0 + " and " + T0.plus(PERIOD.multipliedBy(4)));
    ProfileEntry odd = new ProfileEntry(T0.plusSeconds(7), row(0, 1).values());
    assertThat(ProfileConsistency.problems(List.of(odd), PERIOD)).singleElement().asString()
        .contains("not a multiple");
  }

  @Test
  void decreasingEnergyIsReported() {
    assertThat(ProfileConsistency.problems(List.of(row(0, 10), row(1, 9)), PERIOD)).singleElement().asString()
        .contains("energy 9 below");
  }
}
