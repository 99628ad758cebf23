package org.s3mp.headend.polling;

/**
 * What the meter sessions tell whoever watches the fleet (the alarms). Called on the meters' threads: keep it
 * quick and never throw.
 */
public interface SessionEvents {

  /** An association set-up of the meter failed. */
  default void associationFailed(String meterId, String reason) {}

  /** An association of the meter was set up. */
  default void associated(String meterId) {}

  /** A command failed, or the meter's state read back afterwards does not confirm it. */
  default void commandRefused(String meterId, String command, String reason) {}

  SessionEvents NONE = new SessionEvents() {};
}
