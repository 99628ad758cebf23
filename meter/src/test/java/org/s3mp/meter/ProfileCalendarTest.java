package org.s3mp.meter;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import org.junit.jupiter.api.Test;

class ProfileCalendarTest {
  static final int P = 900;
  static final Instant T = Instant.parse("2026-03-01T10:00:00Z");

  static Instant at(String hhmmss) {
    return Instant.parse("2026-03-01T" + hhmmss + "Z");
  }

  @Test
  void aCaptureTimeIsDueOnceAndNotBeforeItIsReached() {
    assertThat(ProfileCalendar.due(T, null, T)).isTrue();
    assertThat(ProfileCalendar.due(T, at("09:45:00"), T)).isTrue();
    assertThat(ProfileCalendar.due(T, T, T)).as("already captured").isFalse();
    assertThat(ProfileCalendar.due(T, at("10:15:00"), T)).as("a newer row exists: the clock was set back").isFalse();
    assertThat(ProfileCalendar.due(T, at("09:45:00"), at("09:50:00"))).as("planned before a set back").isFalse();
    assertThat(ProfileCalendar.due(T, at("09:45:00"), T.minusMillis(500))).as("timer a little early").isTrue();
  }

  @Test
  void aForwardSetFillsTheCaptureTimesItSkips() {
    // newest row 10:00, set at 10:05 to 11:05: 10:15, 10:30, 10:45 and 11:00 were jumped over
    assertThat(ProfileCalendar.skippedByForwardSet(T, at("10:05:00"), at("11:05:00"), P, 5760))
        .containsExactly(at("10:15:00"), at("10:30:00"), at("10:45:00"), at("11:00:00"));
    // landing exactly on a capture time: that time is skipped as well (the clock never passes it running)
    assertThat(ProfileCalendar.skippedByForwardSet(T, at("10:05:00"), at("10:30:00"), P, 5760))
        .containsExactly(at("10:15:00"), at("10:30:00"));
  }

  @Test
  void setsWithinAPeriodOrBackwardsSkipNothing() {
    assertThat(ProfileCalendar.skippedByForwardSet(T, at("10:05:00"), at("10:14:59"), P, 5760)).isEmpty();
    assertThat(ProfileCalendar.skippedByForwardSet(T, at("10:05:00"), at("09:05:00"), P, 5760)).isEmpty();
    assertThat(ProfileCalendar.skippedByForwardSet(null, at("10:05:00"), at("10:05:10"), P, 5760)).isEmpty();
  }

  @Test
  void aForwardSetAfterASetBackDoesNotFillTimesThatAreInTheProfile() {
    // the newest row (11:00) is ahead of the clock (10:05, set back before): only times after it are filled
    assertThat(ProfileCalendar.skippedByForwardSet(at("11:00:00"), at("10:05:00"), at("11:20:00"), P, 5760))
        .containsExactly(at("11:15:00"));
  }

  @Test
  void aHugeForwardSetFillsAtMostTheProfileDepth() {
    var filled = ProfileCalendar.skippedByForwardSet(T, at("10:05:00"), T.plusSeconds(365L * 86_400), P, 100);
    assertThat(filled).hasSize(100);
    assertThat(filled.get(99)).isEqualTo(T.plusSeconds(365L * 86_400));
    assertThat(filled.get(0)).isEqualTo(T.plusSeconds(365L * 86_400 - 99L * P));
  }
}
