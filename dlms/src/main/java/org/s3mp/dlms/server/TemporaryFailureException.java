package org.s3mp.dlms.server;

/** A value is unavailable right now (the source meter did not answer); becomes DLMS temporary-failure. */
public class TemporaryFailureException extends Exception {
  public TemporaryFailureException(String message, Throwable cause) {
    super(message, cause);
  }
}
