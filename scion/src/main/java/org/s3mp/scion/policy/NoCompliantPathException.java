package org.s3mp.scion.policy;

import java.io.IOException;
import org.s3mp.scion.IsdAs;

/** No path to a destination complies with the policy: we fail closed rather than use another path. */
public final class NoCompliantPathException extends IOException {
  private static final long serialVersionUID = 1L;

  public NoCompliantPathException(String policy, IsdAs destination, int candidates) {
    this(policy, destination, candidates, null);
  }

  /** {@code why}: what all candidates lacked, when one rule explains it (null: nothing to add). */
  public NoCompliantPathException(String policy, IsdAs destination, int candidates, String why) {
    super(candidates == 0
        ? "no path to " + destination + ": the SCION daemon knows none (no connectivity, or the destination's"
            + " down-segments are hidden from this AS)"
        : "no path to " + destination + " complies with path policy '" + policy + "' (" + candidates
            + " path(s) known, all rejected" + (why == null ? "" : ": " + why) + ")");
  }
}
