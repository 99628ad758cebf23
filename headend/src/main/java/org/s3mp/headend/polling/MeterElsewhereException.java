package org.s3mp.headend.polling;

/**
 * An operation needs the meter's association, another head-end instance holds it, and that instance did not take
 * the operation in time (or the meter is just moving between instances): it was not run, so asking again is safe
 * (the API answers 503).
 */
public final class MeterElsewhereException extends RuntimeException {
  public MeterElsewhereException(String message) {
    super(message);
  }
}
