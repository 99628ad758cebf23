package org.s3mp.meter.source;

/** A value could not be read from the source meter (timeout, Modbus exception, not in the register map). */
public class SourceUnavailableException extends Exception {
  public SourceUnavailableException(String message, Throwable cause) {
    super(message, cause);
  }
}
