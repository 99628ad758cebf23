package org.s3mp.dlms.client;

import java.io.IOException;

/**
 * A meter refused or failed a request (association refused, access denied, temporary failure, protocol error),
 * or could not be reached. The message is one line for people; {@link #dlmsError()} the DLMS result when the
 * meter sent one.
 */
public class MeterException extends IOException {
  private final String dlmsError;

  public MeterException(String message) {
    this(message, null, null);
  }

  public MeterException(String message, String dlmsError, Throwable cause) {
    super(message, cause);
    this.dlmsError = dlmsError;
  }

  /** The DLMS data-access-result or exception name, e.g. {@code TEMPORARY_FAILURE}, or null. */
  public String dlmsError() {
    return dlmsError;
  }
}
