package org.s3mp.headend.firmware;

import java.util.Locale;
import java.util.Set;

/** Where one meter of a rollout is. */
public enum MeterState {
  PENDING, TRANSFERRING, VERIFYING, ACTIVATING, SCHEDULED, ACTIVE, FAILED, ROLLED_BACK, CANCELLED;

  /** Sending, verifying or activating: takes one of the rollout's concurrency slots. */
  boolean inFlight() {
    return this == TRANSFERRING || this == VERIFYING || this == ACTIVATING;
  }

  /** Nothing more happens to the meter in this rollout. */
  boolean finished() {
    return this == ACTIVE || this == FAILED || this == ROLLED_BACK || this == CANCELLED;
  }

  /** Whether a meter may go from this state to {@code next}. */
  boolean mayBecome(MeterState next) {
    Set<MeterState> allowed = switch (this) {
      case PENDING -> Set.of(TRANSFERRING, CANCELLED, FAILED); // failed: removed from the fleet meanwhile
      // back to pending: its head-end instance stopped mid-transfer, the transfer starts again
      case TRANSFERRING -> Set.of(VERIFYING, FAILED, CANCELLED, PENDING);
      case VERIFYING -> Set.of(ACTIVATING, SCHEDULED, FAILED, PENDING);
      case ACTIVATING -> Set.of(ACTIVE, SCHEDULED, FAILED, ROLLED_BACK, PENDING);
      case SCHEDULED -> Set.of(ACTIVE, FAILED, ROLLED_BACK);
      case ACTIVE, FAILED, ROLLED_BACK, CANCELLED -> Set.of();
    };
    return allowed.contains(next);
  }

  public String apiName() {
    return name().toLowerCase(Locale.ROOT);
  }

  static MeterState parse(String text) {
    return valueOf(text.toUpperCase(Locale.ROOT));
  }
}
