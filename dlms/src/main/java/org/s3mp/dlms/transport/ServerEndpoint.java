package org.s3mp.dlms.transport;

import java.io.IOException;

/** A listening transport endpoint of the meter. */
public interface ServerEndpoint extends AutoCloseable {

  /** The address actually bound (with the real port when 0 was asked for). */
  MeterUrl localUrl();

  /** Whether peers' PDUs arrive as datagrams that may be lost (see {@link TransportProvider#datagram()}). */
  boolean datagram();

  /** Datagrams dropped on arrival because their source is not trusted (network-level access control). */
  default long droppedUntrusted() {
    return 0;
  }

  /** Datagrams that arrived with per-packet path validation (SCION EPIC-HP): routers checked their source. */
  default long receivedOverEpic() {
    return 0;
  }

  /** Sends one wrapper PDU to a peer; a peer that has gone away is ignored or raises an IOException. */
  void send(Peer peer, byte[] pdu) throws IOException;

  /** Stops listening and drops all peers. */
  @Override
  void close();
}
