package org.s3mp.headend.firmware;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

/**
 * The rollout's rules, without I/O: which meters start next, what pause, resume and cancel may do, and when a
 * rollout is done. {@link Rollouts} applies them to the stored rows.
 */
final class RolloutPlan {
  private RolloutPlan() {}

  /** A meter's row as the plan needs it. */
  record Entry(String meterId, MeterState state) {}

  /** Thrown for a transition the rollout's state does not allow (the API answers 409). */
  static final class NotAllowedException extends IllegalStateException {
    NotAllowedException(String message) {
      super(message);
    }
  }

  /**
   * The pending meters, in the rollout's order, to start now: none unless the rollout runs; at most the free
   * concurrency slots (slots taken on every instance count); only meters held here ({@code heldHere}), since only
   * the instance holding a meter's lease may transfer to it.
   */
  static List<String> toStart(RolloutState state, int concurrency, List<Entry> meters, Predicate<String> heldHere) {
    if (state != RolloutState.RUNNING) {
      return List.of();
    }
    long busy = meters.stream().filter(e -> e.state().inFlight()).count();
    List<String> start = new ArrayList<>();
    for (Entry e : meters) {
      if (busy + start.size() >= concurrency) {
        break;
      }
      if (e.state() == MeterState.PENDING && heldHere.test(e.meterId())) {
        start.add(e.meterId());
      }
    }
    return start;
  }

  /** The rollout's state once its meters are where they are: a running one with every meter finished is done. */
  static RolloutState settle(RolloutState state, List<Entry> meters) {
    if (state == RolloutState.RUNNING && meters.stream().allMatch(e -> e.state().finished())) {
      return RolloutState.DONE;
    }
    return state;
  }

  static RolloutState pause(RolloutState state) {
    if (state != RolloutState.RUNNING) {
      throw new NotAllowedException("only a running rollout can be paused; this one is " + state.apiName());
    }
    return RolloutState.PAUSED;
  }

  static RolloutState resume(RolloutState state) {
    if (state != RolloutState.PAUSED) {
      throw new NotAllowedException("only a paused rollout can be resumed; this one is " + state.apiName());
    }
    return RolloutState.RUNNING;
  }

  static RolloutState cancel(RolloutState state) {
    if (state != RolloutState.RUNNING && state != RolloutState.PAUSED) {
      throw new NotAllowedException("only a running or paused rollout can be cancelled; this one is "
          + state.apiName());
    }
    return RolloutState.CANCELLED;
  }

  /** Whether a transfer in progress goes on: not once its rollout is cancelled (paused ones finish). */
  static boolean keepsTransferring(RolloutState state) {
    return state != RolloutState.CANCELLED;
  }

  /** The state a meter gets from a transfer's refusal. */
  static MeterState afterRefusal(org.s3mp.headend.polling.FirmwareRefusedException.Kind kind) {
    return switch (kind) {
      case REFUSED -> MeterState.FAILED;
      case ROLLED_BACK -> MeterState.ROLLED_BACK;
      case STOPPED -> MeterState.CANCELLED;
    };
  }

  /** The state for a step the meter's transfer reports. */
  static MeterState forStep(String step) {
    return switch (step) {
      case "image_verify" -> MeterState.VERIFYING;
      case "image_activate", "schedule_activation" -> MeterState.ACTIVATING;
      default -> throw new IllegalArgumentException("unknown firmware step " + step);
    };
  }
}
