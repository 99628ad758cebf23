package org.s3mp.dlms.transport;

/** The server side's consumer of wrapper PDUs (the DLMS server). */
public interface PduHandler {

  /**
   * One complete wrapper PDU from a peer. Called for different peers concurrently but never concurrently for
   * the same peer. Replies go through {@link ServerEndpoint#send}. Must not throw for bad input.
   */
  void received(Peer peer, byte[] pdu, ServerEndpoint endpoint);

  /** The transport will deliver nothing more from this peer (connection closed). Datagram peers never close. */
  default void closed(Peer peer) {}

  /**
   * Whether the peer has completed an association; connection-oriented transports close peers that take too long
   * to get there. A handler without associations accepts every peer.
   */
  default boolean associated(Peer peer) {
    return true;
  }
}
