package org.s3mp.headend.polling;

import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * The meters another head-end instance polls (scale-out on a shared database): what the poller asks for a
 * meter it does not hold itself.
 */
public interface RemoteMeters {

  /**
   * Hands a command (disconnect, reconnect, message) to the instance that holds the meter; completes with what
   * the meter confirmed (relay state or read-back text), exactly as a local command does.
   */
  CompletableFuture<String> command(String meterId, String action, String argument);

  /**
   * Hands any other operation on the meter's association ({@code FleetPoller.OP_...}) to the instance that holds
   * the meter; completes with the holder's result as {@code type}, or fails as the holder's call failed
   * ({@link MeterUnavailableException}), or with {@link MeterElsewhereException} when no instance took it in
   * time (it was not run).
   */
  <T> CompletableFuture<T> call(String meterId, String operation, String argument, Class<T> type);

  /** What the holders published of the meters not held here, by meter id (registered meters only). */
  Map<String, MeterStatus> statuses();

  /** What the holder published of one registered meter not held here (empty: no such meter). */
  Optional<MeterStatus> status(String meterId);

  /** The instance holding the meter's lease, if any. */
  Optional<String> holder(String meterId);
}
