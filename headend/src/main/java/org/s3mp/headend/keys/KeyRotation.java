package org.s3mp.headend.keys;

import java.io.IOException;
import java.time.Instant;
import org.s3mp.dlms.client.RetryPolicy;
import org.s3mp.dlms.client.Session;
import org.s3mp.dlms.security.KeysFile;
import org.s3mp.headend.fleet.MeterSpec;
import org.s3mp.headend.polling.DlmsMeterConnector;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Rotates the static keys of a meter, in steps that each leave it reachable:
 *
 * <ol>
 *   <li>new keys (same system titles and KEK) are stored encrypted as pending, before anything is sent;
 *   <li>they are sent with key_transfer in an association with the current keys: the meter stores them and
 *       accepts both;
 *   <li>a new association with the new keys confirms them: the meter retires the old keys;
 *   <li>the head-end records the new keys as current.
 * </ol>
 *
 * A crash or a lost answer before 3 leaves the old keys working on both sides (rotate again: the next transfer
 * replaces the pending keys); after 3, the meter refuses the old keys and the head-end's next association finds
 * that the pending ones work ({@link DlmsMeterConnector#associate}) and records them. Steps 2 and 3 each run in a
 * DLMS {@link Session} under the head-end's retry policy: a step whose association broke is done again on a new
 * one (a second transfer replaces the pending keys on both sides; a second confirmation is one more association).
 */
public final class KeyRotation {
  private static final Logger log = LoggerFactory.getLogger(KeyRotation.class);

  private final DlmsMeterConnector connector;
  private final MeterKeyStore store;
  private final RetryPolicy policy;

  public KeyRotation(DlmsMeterConnector connector, MeterKeyStore store, RetryPolicy policy) {
    this.connector = connector;
    this.store = store;
    this.policy = policy;
  }

  /** What a rotation did. */
  public record Result(String meterId, String oldKeyId, String newKeyId, Instant rotatedAt) {}

  /** A rotation that stopped at {@code step} ("transfer" or "confirm"); the message says which keys work now. */
  public static final class RotationFailedException extends IOException {
    private final String step;

    RotationFailedException(String step, String message, IOException cause) {
      super(message + ": " + cause.getMessage(), cause);
      this.step = step;
    }

    /** The same failure as the instance that ran the rotation reported it. */
    RotationFailedException(String step, String message) {
      super(message);
      this.step = step;
    }

    public String step() {
      return step;
    }
  }

  /** A rotation accepted by an instance that does not hold the meter goes to its holder under this name. */
  public static final String OPERATION = "keys-rotate";

  /**
   * A rotation's outcome as it crosses from the meter's holder to the instance that accepted it (scale-out): the
   * result, or the step it stopped at ("transfer", "confirm"; "refused", "invalid", "unreachable" for the
   * exceptions {@link #rotate} throws before a transfer) and why.
   */
  public record Outcome(Result result, String step, String error) {
    /** The result, or the exception the holder's rotation threw. */
    public Result get() throws IOException {
      if (result != null) {
        return result;
      }
      switch (step) {
        case "refused" -> throw new IllegalStateException(error);
        case "invalid" -> throw new IllegalArgumentException(error);
        case "unreachable" -> throw new IOException(error);
        default -> throw new RotationFailedException(step, error);
      }
    }
  }

  /** Rotates for another instance (see {@link Outcome}); never throws what {@link #rotate} throws. */
  public Outcome rotateFor(MeterSpec spec) {
    try {
      return new Outcome(rotate(spec), null, null);
    } catch (RotationFailedException e) {
      return new Outcome(null, e.step(), e.getMessage());
    } catch (IllegalStateException e) {
      return new Outcome(null, "refused", e.getMessage());
    } catch (IllegalArgumentException e) {
      return new Outcome(null, "invalid", e.getMessage());
    } catch (IOException e) {
      return new Outcome(null, "unreachable", e.getMessage());
    }
  }

  /**
   * Rotates the meter's keys (one rotation at a time per head-end: they are rare and each takes two associations).
   *
   * @throws IllegalArgumentException for DRKey meters and keys without a key-encryption key
   * @throws IllegalStateException without a master key
   */
  public synchronized Result rotate(MeterSpec spec) throws IOException {
    if (spec.drkey()) {
      throw new IllegalArgumentException("meter " + spec.id() + " has keys from DRKey: they rotate by themselves"
          + " every DRKey epoch");
    }
    if (!store.hasMasterKey()) {
      throw new IllegalStateException("no master key: set " + MasterKey.ENV + " (64 hex digits) or "
          + MasterKey.ENV_FILE + " for the head-end, which stores rotated keys encrypted under it");
    }
    if (!connector.currentKeys(spec).rotatable()) {
      throw noKeyEncryptionKey(spec);
    }
    KeysFile[] associatedWith = {null}; // the keys of the last association the transfer step opened
    Session<DlmsMeterConnector.KeyedClient> transfer = new Session<>(
        () -> connector.associate(spec, policy.responseTimeout()), policy, new Session.Listener<>() {
          @Override
          public void opened(DlmsMeterConnector.KeyedClient association) {
            associatedWith[0] = association.keys();
          }
        });
    KeysFile[] oldAndNext;
    try {
      oldAndNext = run(transfer, association -> {
        KeysFile old = association.keys();
        if (!old.rotatable()) {
          throw noKeyEncryptionKey(spec);
        }
        KeysFile next = old.nextKeys();
        store.putPending(spec.id(), next);
        association.client().transferKeys(next);
        return new KeysFile[] {old, next};
      });
    } catch (IOException e) {
      if (associatedWith[0] == null) {
        throw e; // unreachable, or refused the keys: nothing was sent
      }
      throw new RotationFailedException("transfer", "meter " + spec.id() + ": key transfer failed, the meter"
          + " keeps its keys " + associatedWith[0].keyId(), e);
    } finally {
      transfer.close();
    }
    KeysFile old = oldAndNext[0];
    KeysFile next = oldAndNext[1];
    log.info("meter {}: keys {} transferred, confirming", spec.id(), next.keyId());
    Session<org.s3mp.dlms.client.MeterClient> confirm =
        new Session<>(() -> connector.open(spec, next, policy.responseTimeout()), policy, new Session.Listener<>() {});
    try {
      run(confirm, c -> c.readSerialNumber());
    } catch (IOException e) {
      throw new RotationFailedException("confirm", "meter " + spec.id() + ": keys " + next.keyId()
          + " transferred but not confirmed; the meter accepts its old keys " + old.keyId() + " and the new ones"
          + " until an association with the new ones (rotate again to finish)", e);
    } finally {
      confirm.close();
    }
    store.confirm(spec.id(), next);
    log.info("meter {}: keys rotated from {} to {}", spec.id(), old.keyId(), next.keyId());
    return new Result(spec.id(), old.keyId(), next.keyId(), Instant.now());
  }

  private static IllegalArgumentException noKeyEncryptionKey(MeterSpec spec) {
    return new IllegalArgumentException("meter " + spec.id() + ": its keys have no key-encryption-key, so new keys"
        + " cannot be transferred (add key-encryption-key=... to the keys files of the meter and the head-end)");
  }

  /** Runs a step in its session: an IOException when it failed after the policy's attempts. */
  private static <A extends AutoCloseable, T> T run(Session<A> session, Session.Operation<A, T> step)
      throws IOException {
    try {
      return session.run(step);
    } catch (IOException | RuntimeException e) {
      throw e;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new java.io.InterruptedIOException("key rotation interrupted");
    } catch (Exception e) {
      throw new IOException(Session.reason(e), e);
    }
  }
}
