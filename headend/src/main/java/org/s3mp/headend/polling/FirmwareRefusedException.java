package org.s3mp.headend.polling;

/**
 * A firmware transfer the meter refused (bad signature or hash, failed start and rollback) or the head-end
 * stopped. An IllegalArgumentException on purpose: the meter's session then keeps the association and does not
 * send the image again (it does so after I/O failures).
 */
public final class FirmwareRefusedException extends IllegalArgumentException {
  /** Why the transfer ended. */
  public enum Kind { REFUSED, ROLLED_BACK, STOPPED }

  private final Kind kind;

  public FirmwareRefusedException(Kind kind, String message, Throwable cause) {
    super(message, cause);
    this.kind = kind;
  }

  public Kind kind() {
    return kind;
  }
}
