package org.s3mp.headend.polling;

/** The meter could not be reached or did not answer, after the retries of its DLMS session's retry policy. */
public final class MeterUnavailableException extends RuntimeException {
  public MeterUnavailableException(String message, Throwable cause) {
    super(message, cause);
  }
}
