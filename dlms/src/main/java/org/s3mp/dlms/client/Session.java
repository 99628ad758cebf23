package org.s3mp.dlms.client;

import java.io.IOException;

/**
 * A sequence of operations with one meter over one association kept open between them, and the owner of the
 * {@link RetryPolicy}: an operation that fails closes the association, and after the policy's backoff it runs
 * again on a new one, at most {@link RetryPolicy#reassociations()} times. No other layer repeats an operation
 * (below, a datagram link only sends an unanswered request again within the response timeout, and an association
 * refused in an invocation-counter race is attempted again, see {@link Association}).
 *
 * <p>An {@link IllegalArgumentException} is the meter refusing what was asked (bad input): the association is
 * fine, it stays open and the operation is not repeated. Any other failure (a broken link, no answer, a DLMS
 * error) leaves the association in doubt. Used by one thread at a time (the caller's own serial order);
 * {@link #close()} may come from another.
 *
 * @param <A> the association: a {@link MeterClient}, or what a caller made of one
 */
public final class Session<A extends AutoCloseable> {
  private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(Session.class);

  /** Opens a new association with the meter. */
  @FunctionalInterface
  public interface Associator<A> {
    A associate() throws IOException, InterruptedException;
  }

  /** An operation on an open association. */
  @FunctionalInterface
  public interface Operation<A, T> {
    T apply(A association) throws Exception;
  }

  /** Told about the session's associations, on the session's thread; must not throw. */
  public interface Listener<A> {
    /** A new association is open (the operation runs on it next). */
    default void opened(A association) {}

    /** Opening an association failed. */
    default void openFailed(String reason) {}

    /** An attempt failed and its association (if one was open) is closed: the next attempt associates again. */
    default void dropped(String reason) {}
  }

  private final Associator<A> associator;
  private final RetryPolicy policy;
  private final Listener<A> listener;
  private volatile A association;

  public Session(Associator<A> associator, RetryPolicy policy, Listener<A> listener) {
    this.associator = associator;
    this.policy = policy;
    this.listener = listener;
  }

  /** Whether an association is open (the next operation needs no new one). */
  public boolean associated() {
    return association != null;
  }

  /**
   * Runs the operation on the open association, associating first when none is open, and again per the policy.
   *
   * @throws IllegalArgumentException at once, when the meter refused what was asked
   * @throws Exception the last attempt's failure when every attempt failed or the thread was interrupted (it stays
   *     interrupted; an InterruptedException when no attempt was made)
   */
  public <T> T run(Operation<A, T> operation) throws Exception {
    Exception last = null;
    for (int attempt = 0; attempt <= policy.reassociations(); attempt++) {
      if (Thread.currentThread().isInterrupted()) {
        break;
      }
      try {
        if (attempt > 0 && !policy.backoff().isZero()) {
          Thread.sleep(policy.backoff().toMillis());
        }
        return operation.apply(open());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        last = e;
        break;
      } catch (IllegalArgumentException e) {
        throw e;
      } catch (Exception e) {
        last = e;
        close();
        listener.dropped(reason(e));
      }
    }
    throw last != null ? last : new InterruptedException("interrupted before the operation");
  }

  private A open() throws Exception {
    A a = association;
    if (a != null) {
      return a;
    }
    try {
      a = associator.associate();
    } catch (InterruptedException e) {
      throw e;
    } catch (Exception e) {
      listener.openFailed(reason(e));
      throw e;
    }
    association = a;
    listener.opened(a);
    return a;
  }

  /** The message of a failure, or its type when it has none. */
  public static String reason(Exception e) {
    return e.getMessage() == null ? e.toString() : e.getMessage();
  }

  /** Closes the open association, if any (the next operation associates again). */
  public void close() {
    A a = association;
    association = null;
    if (a != null) {
      try {
        a.close();
      } catch (Exception e) {
        // the association is gone either way; a release the meter did not answer is worth a line when debugging
        log.debug("closing the association {} failed: {}", a, reason(e));
      }
    }
  }
}
