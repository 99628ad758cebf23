package org.s3mp.scion.daemon;

import java.io.IOException;

/** The SCION daemon could not be reached or refused a request; the message names the daemon and the call. */
public final class DaemonException extends IOException {
  private static final long serialVersionUID = 1L;

  public DaemonException(String message, Throwable cause) {
    super(message, cause);
  }
}
