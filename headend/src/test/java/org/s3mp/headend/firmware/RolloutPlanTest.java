package org.s3mp.headend.firmware;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.s3mp.headend.polling.FirmwareRefusedException;

class RolloutPlanTest {

  private static RolloutPlan.Entry e(String id, MeterState s) {
    return new RolloutPlan.Entry(id, s);
  }

  @Test
  void startsPendingMetersInOrderUpToTheFreeSlots() {
    List<RolloutPlan.Entry> meters = List.of(e("a", MeterState.ACTIVE), e("b", MeterState.TRANSFERRING),
        e("c", MeterState.PENDING), e("d", MeterState.PENDING), e("e", MeterState.PENDING));
    assertThat(RolloutPlan.toStart(RolloutState.RUNNING, 3, meters, m -> true)).containsExactly("c", "d");
    assertThat(RolloutPlan.toStart(RolloutState.RUNNING, 1, meters, m -> true)).isEmpty();
    // verifying and activating hold a slot too; scheduled and finished ones do not
    List<RolloutPlan.Entry> busy = List.of(e("a", MeterState.VERIFYING), e("b", MeterState.ACTIVATING),
        e("c", MeterState.SCHEDULED), e("d", MeterState.FAILED), e("e", MeterState.PENDING));
    assertThat(RolloutPlan.toStart(RolloutState.RUNNING, 2, busy, m -> true)).isEmpty();
    assertThat(RolloutPlan.toStart(RolloutState.RUNNING, 3, busy, m -> true)).containsExactly("e");
  }

  @Test
  void startsOnlyMetersHeldHereAndNothingUnlessRunning() {
    List<RolloutPlan.Entry> meters = List.of(e("a", MeterState.PENDING), e("b", MeterState.PENDING),
        e("c", MeterState.PENDING));
    assertThat(RolloutPlan.toStart(RolloutState.RUNNING, 2, meters, Set.of("b", "c")::contains))
        .containsExactly("b", "c");
    for (RolloutState s : List.of(RolloutState.PAUSED, RolloutState.CANCELLED, RolloutState.DONE)) {
      assertThat(RolloutPlan.toStart(s, 2, meters, m -> true)).as(s.name()).isEmpty();
    }
  }

  @Test
  void aRunningRolloutIsDoneOnceEveryMeterFinished() {
    List<RolloutPlan.Entry> finished = List.of(e("a", MeterState.ACTIVE), e("b", MeterState.FAILED),
        e("c", MeterState.ROLLED_BACK), e("d", MeterState.CANCELLED));
    assertThat(RolloutPlan.settle(RolloutState.RUNNING, finished)).isEqualTo(RolloutState.DONE);
    assertThat(RolloutPlan.settle(RolloutState.PAUSED, finished)).isEqualTo(RolloutState.PAUSED);
    assertThat(RolloutPlan.settle(RolloutState.RUNNING, List.of(e("a", MeterState.ACTIVE),
        e("b", MeterState.SCHEDULED)))).isEqualTo(RolloutState.RUNNING);
    assertThat(RolloutPlan.settle(RolloutState.RUNNING, List.of(e("a", MeterState.PENDING))))
        .isEqualTo(RolloutState.RUNNING);
  }

  @Test
  void pauseResumeAndCancelOnlyFromTheirStates() {
    assertThat(RolloutPlan.pause(RolloutState.RUNNING)).isEqualTo(RolloutState.PAUSED);
    assertThat(RolloutPlan.resume(RolloutState.PAUSED)).isEqualTo(RolloutState.RUNNING);
    assertThat(RolloutPlan.cancel(RolloutState.RUNNING)).isEqualTo(RolloutState.CANCELLED);
    assertThat(RolloutPlan.cancel(RolloutState.PAUSED)).isEqualTo(RolloutState.CANCELLED);
    assertThatThrownBy(() -> RolloutPlan.pause(RolloutState.PAUSED))
        .isInstanceOf(RolloutPlan.NotAllowedException.class).hasMessageContaining("paused");
    assertThatThrownBy(() -> RolloutPlan.resume(RolloutState.RUNNING))
        .isInstanceOf(RolloutPlan.NotAllowedException.class);
    assertThatThrownBy(() -> RolloutPlan.cancel(RolloutState.DONE))
        .isInstanceOf(RolloutPlan.NotAllowedException.class).hasMessageContaining("done");
    assertThatThrownBy(() -> RolloutPlan.pause(RolloutState.CANCELLED))
        .isInstanceOf(RolloutPlan.NotAllowedException.class);
    assertThat(RolloutPlan.keepsTransferring(RolloutState.PAUSED)).as("a pause lets transfers finish").isTrue();
    assertThat(RolloutPlan.keepsTransferring(RolloutState.CANCELLED)).isFalse();
  }

  @Test
  void meterStatesMoveOnlyForward() {
    assertThat(MeterState.PENDING.mayBecome(MeterState.TRANSFERRING)).isTrue();
    assertThat(MeterState.TRANSFERRING.mayBecome(MeterState.VERIFYING)).isTrue();
    assertThat(MeterState.VERIFYING.mayBecome(MeterState.ACTIVATING)).isTrue();
    assertThat(MeterState.ACTIVATING.mayBecome(MeterState.ACTIVE)).isTrue();
    assertThat(MeterState.ACTIVATING.mayBecome(MeterState.SCHEDULED)).isTrue();
    assertThat(MeterState.SCHEDULED.mayBecome(MeterState.ACTIVE)).isTrue();
    assertThat(MeterState.TRANSFERRING.mayBecome(MeterState.PENDING)).as("taken back after a stop").isTrue();
    assertThat(MeterState.PENDING.mayBecome(MeterState.ACTIVE)).isFalse();
    assertThat(MeterState.SCHEDULED.mayBecome(MeterState.PENDING)).isFalse();
    for (MeterState done : List.of(MeterState.ACTIVE, MeterState.FAILED, MeterState.ROLLED_BACK,
        MeterState.CANCELLED)) {
      for (MeterState any : MeterState.values()) {
        assertThat(done.mayBecome(any)).as(done + " -> " + any).isFalse();
      }
    }
    assertThat(MeterState.CANCELLED.mayBecome(MeterState.ACTIVE)).isFalse();
  }

  @Test
  void refusalsAndStepsMapToStates() {
    assertThat(RolloutPlan.afterRefusal(FirmwareRefusedException.Kind.REFUSED)).isEqualTo(MeterState.FAILED);
    assertThat(RolloutPlan.afterRefusal(FirmwareRefusedException.Kind.ROLLED_BACK))
        .isEqualTo(MeterState.ROLLED_BACK);
    assertThat(RolloutPlan.afterRefusal(FirmwareRefusedException.Kind.STOPPED)).isEqualTo(MeterState.CANCELLED);
    assertThat(RolloutPlan.forStep("image_verify")).isEqualTo(MeterState.VERIFYING);
    assertThat(RolloutPlan.forStep("image_activate")).isEqualTo(MeterState.ACTIVATING);
    assertThat(RolloutPlan.forStep("schedule_activation")).isEqualTo(MeterState.ACTIVATING);
    assertThatThrownBy(() -> RolloutPlan.forStep("other")).isInstanceOf(IllegalArgumentException.class);
  }
}
