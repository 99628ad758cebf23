package org.s3mp.dlms.client;

import java.time.Duration;

/**
 * How hard the DLMS layer tries before a meter operation fails: the one place where attempts, timeouts and backoff
 * are configured. A {@link Session} applies {@code reassociations} and {@code backoff}; the link applies
 * {@code responseTimeout} to each response (a datagram link sends an unanswered request again within it, see
 * {@link Association}).
 *
 * @param reassociations how often an operation that failed is run again on a new association (0: never)
 * @param responseTimeout per response, and for connecting
 * @param backoff pause before each new association after a failure (zero: none)
 */
public record RetryPolicy(int reassociations, Duration responseTimeout, Duration backoff) {

  /** One new association after a failure, {@link MeterClient#DEFAULT_TIMEOUT} per response, no backoff. */
  public static final RetryPolicy DEFAULT = new RetryPolicy(1, MeterClient.DEFAULT_TIMEOUT, Duration.ZERO);

  public RetryPolicy {
    if (reassociations < 0) {
      throw new IllegalArgumentException("reassociations (retries) must be >= 0, got " + reassociations);
    }
    if (responseTimeout == null || responseTimeout.isNegative() || responseTimeout.isZero()) {
      throw new IllegalArgumentException("the response timeout must be positive, got " + responseTimeout);
    }
    if (backoff == null || backoff.isNegative()) {
      throw new IllegalArgumentException("the backoff must be zero or positive, got " + backoff);
    }
  }

  /** This policy with another response timeout. */
  public RetryPolicy withResponseTimeout(Duration timeout) {
    return new RetryPolicy(reassociations, timeout, backoff);
  }

  /** This policy with another number of re-associations. */
  public RetryPolicy withReassociations(int n) {
    return new RetryPolicy(n, responseTimeout, backoff);
  }
}
