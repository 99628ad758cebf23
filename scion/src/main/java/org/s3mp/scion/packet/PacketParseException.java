package org.s3mp.scion.packet;

/** A received byte sequence is not a well-formed SCION packet; the message says which field and where. */
public final class PacketParseException extends Exception {
  private static final long serialVersionUID = 1L;

  public PacketParseException(String message) {
    super(message);
  }
}
