package org.s3mp.dlms.transport;

import java.io.IOException;
import java.time.Duration;

/**
 * One way to carry DLMS wrapper PDUs (IEC 62056-47: 8-byte header + APDU), selected by URL scheme. Implementations
 * live in their own package ({@code org.s3mp.dlms.transport.tcp} here, {@code ...scion} in the module
 * {@code transport-scion}, so that a TCP-only user does not pull the SCION end host) and are found by
 * {@link Transports} through {@link java.util.ServiceLoader}. Everything above this interface sees whole wrapper
 * PDUs only, never sockets.
 */
public interface TransportProvider {

  /** The URL scheme this transport serves, e.g. {@code tcp}. */
  String scheme();

  /**
   * Whether PDUs travel as datagrams that can be lost (one wrapper PDU per datagram). Clients then retry an
   * unanswered request after a timeout; servers answer a repeated request with the cached response.
   */
  boolean datagram();

  /**
   * Checks a URL of this scheme without opening anything, for configuration that is read long before it is used.
   *
   * @throws IllegalArgumentException saying what is wrong, with an example of a good URL
   */
  default void checkUrl(MeterUrl url) {}

  /**
   * Whether this transport chooses the paths its datagrams take (path policies, geofencing) and supplies keys
   * from the network ({@link ClientLink#networkKeys()}).
   */
  default boolean pathAware() {
    return false;
  }

  /**
   * The geofence of the path policy in {@code options} (path-aware transports; a fence without rules when there is
   * no policy); empty for transports that do not choose paths.
   *
   * @throws IOException when the policy cannot be read
   */
  default java.util.Optional<Geofence> geofence(LinkOptions options) throws IOException {
    return java.util.Optional.empty();
  }

  /** Opens a client link to a meter. */
  ClientLink connect(MeterUrl url, Duration timeout) throws IOException;

  /** Opens a client link with transport-specific options (a transport without any uses only the timeout). */
  default ClientLink connect(MeterUrl url, LinkOptions options) throws IOException {
    return connect(url, options.timeout());
  }

  /**
   * Starts serving at a local address; every complete wrapper PDU received is passed to the handler together
   * with the peer it came from. A port of 0 picks a free port (see {@link ServerEndpoint#localUrl()}).
   */
  ServerEndpoint listen(MeterUrl url, PduHandler handler) throws IOException;

  /** Starts serving with transport-specific options (see {@link LinkOptions}). */
  default ServerEndpoint listen(MeterUrl url, PduHandler handler, LinkOptions options) throws IOException {
    return listen(url, handler);
  }
}
