package org.s3mp.scion.path;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/** RFC 6298's estimator, with our floor and cap. */
class RetransmissionTimerTest {
  final RetransmissionTimer t = new RetransmissionTimer(Duration.ofSeconds(1), Duration.ofMillis(200),
      Duration.ofSeconds(5));

  @Test
  void startsAtTheInitialValue() {
    assertThat(t.timeout()).isEqualTo(Duration.ofSeconds(1));
    assertThat(t.smoothedRtt()).isNull();
  }

  @Test
  void firstSampleGivesRttPlusTwiceItself() {
    t.sample(Duration.ofMillis(100)); // SRTT 100, RTTVAR 50: 100 + 4 * 50
    assertThat(t.timeout()).isEqualTo(Duration.ofMillis(300));
    assertThat(t.smoothedRtt()).isEqualTo(Duration.ofMillis(100));
  }

  @Test
  void steadySamplesConvergeAndAJumpWidensTheTimeout() {
    for (int i = 0; i < 50; i++) {
      t.sample(Duration.ofMillis(100));
    }
    assertThat(t.timeout()).isEqualTo(Duration.ofMillis(200)); // variance gone: the floor
    t.sample(Duration.ofMillis(500)); // SRTT 150, RTTVAR ~100
    assertThat(t.timeout()).isBetween(Duration.ofMillis(500), Duration.ofMillis(600));
  }

  @Test
  void timeoutsDoubleUpToTheCap() {
    t.backOff();
    assertThat(t.timeout()).isEqualTo(Duration.ofSeconds(2));
    t.backOff();
    t.backOff();
    assertThat(t.timeout()).isEqualTo(Duration.ofSeconds(5));
    t.sample(Duration.ofMillis(10)); // a measurement resets the backoff
    assertThat(t.timeout()).isEqualTo(Duration.ofMillis(200));
  }
}
