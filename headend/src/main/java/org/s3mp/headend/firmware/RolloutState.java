package org.s3mp.headend.firmware;

import java.util.Locale;

/** Where a rollout is: meters start only while it runs. */
public enum RolloutState {
  RUNNING, PAUSED, CANCELLED, DONE;

  public String apiName() {
    return name().toLowerCase(Locale.ROOT);
  }

  static RolloutState parse(String text) {
    return valueOf(text.toUpperCase(Locale.ROOT));
  }
}
