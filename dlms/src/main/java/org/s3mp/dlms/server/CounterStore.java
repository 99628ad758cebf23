package org.s3mp.dlms.server;

/**
 * Invocation counters of the meter's security contexts, per key id, surviving restarts.
 *
 * <p>The server counter numbers the meter's own AES-GCM frames: it must never repeat under the same key (a
 * repeated counter is a repeated GCM nonce), so it only grows, across associations and restarts. The client
 * floor is the lowest counter the meter accepts next from the client: frames below it are replays.
 */
public interface CounterStore {

  /** The next server invocation counter to use. */
  long serverCounter(String keyId);

  /** The server has used counters below {@code next}; never lowers the counter. */
  void serverCounterAdvanced(String keyId, long next);

  /** The lowest client invocation counter accepted next. */
  long clientFloor(String keyId);

  /** Raises the client floor (never lowers it). */
  void raiseClientFloor(String keyId, long floor);
}
