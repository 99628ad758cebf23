package org.s3mp.dlms.transport;

import java.io.IOException;
import java.time.Duration;

/** The client side of a transport: one conversation with one meter. Not thread-safe; one request at a time. */
public interface ClientLink extends AutoCloseable {

  /**
   * Sends one wrapper PDU and waits for the next wrapper PDU from the meter. Datagram transports send the
   * request again within {@code timeout} as they see fit (they own the retransmission policy).
   *
   * @throws java.net.SocketTimeoutException when nothing arrives within the timeout
   * @throws IOException when the link failed or the peer sent something that is not a wrapper PDU
   */
  byte[] exchange(byte[] request, Duration timeout) throws IOException;

  /**
   * As {@link #exchange(byte[], Duration)}, where a datagram link skips the PDUs from the meter that {@code
   * isAnswer} rejects (a late response to an earlier conversation) and goes on waiting, retransmitting as before.
   * A stream delivers responses in order on a connection of the link's own: it needs no such test.
   */
  default byte[] exchange(byte[] request, Duration timeout, java.util.function.Predicate<byte[]> isAnswer)
      throws IOException {
    return exchange(request, timeout);
  }

  /**
   * Sends one wrapper PDU that gets no answer (a push: DLMS Data-Notification). Connection-oriented links
   * first check that the peer has not closed the connection, so that the caller can reconnect instead of
   * losing the PDU; datagram links send it once.
   */
  default void send(byte[] pdu) throws IOException {
    throw new IOException(remote() + ": this transport cannot push");
  }

  /** Whether this link loses PDUs (see {@link TransportProvider#datagram()}). */
  boolean datagram();

  /** The path the last exchange took, for path-aware transports (SCION); empty for the others. */
  default java.util.Optional<LinkPath> path() {
    return java.util.Optional.empty();
  }

  /**
   * Why the link's path changed, if it changed since the last call (for path-aware transports): e.g.
   * {@code timeout}, {@code SCMP interface down (1-ff00:0:111#1)}, {@code SCMP internal connectivity down (...)},
   * or {@code policy} when the path selection preferred another path without a failure (a repaired path back in
   * use). Empty: no change, or no paths.
   */
  default java.util.Optional<String> takePathChange() {
    return java.util.Optional.empty();
  }

  /** This end's address in the transport's notation (SCION: {@code ISD-AS,[IP]:PORT}), where it has one. */
  default java.util.Optional<String> localAddress() {
    return java.util.Optional.empty();
  }

  /**
   * Keys for this link's two ends that the network supplies (DRKey on SCION), for a management association
   * without configured keys; empty where the transport has none.
   *
   * @throws IOException when the transport supplies keys but could not get them now
   */
  default java.util.Optional<NetworkKeys> networkKeys() throws IOException {
    return java.util.Optional.empty();
  }

  /** The meter's address, for messages. */
  MeterUrl remote();

  @Override
  void close();
}
