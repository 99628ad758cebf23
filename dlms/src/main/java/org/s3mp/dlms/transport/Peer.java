package org.s3mp.dlms.transport;

/**
 * An opaque client identity as seen by a transport: a TCP connection, a SCION address and port. Two peers are
 * equal when the transport would deliver replies to the same place; {@link #id()} is a stable printable form.
 */
public interface Peer {

  /** Stable string form, e.g. {@code tcp:127.0.0.1:50312#3} or {@code scion:1-ff00:0:110,[10.0.0.1]:31000}. */
  String id();
}
