package org.s3mp.headend.polling;

/** An operation needs the meter's association, and another head-end instance holds it (the API answers 409). */
public final class MeterElsewhereException extends RuntimeException {
  public MeterElsewhereException(String message) {
    super(message);
  }
}
