package org.s3mp.dlms.transport.tcp;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import org.s3mp.dlms.transport.ClientLink;
import org.s3mp.dlms.transport.LinkOptions;
import org.s3mp.dlms.transport.MeterUrl;
import org.s3mp.dlms.transport.PduHandler;
import org.s3mp.dlms.transport.ServerEndpoint;
import org.s3mp.dlms.transport.TransportProvider;

/** {@code tcp://HOST:PORT}: the IEC 62056-47 wrapper over TCP (a byte stream; PDUs delimited by the header). */
public final class TcpTransport implements TransportProvider {

  /** Largest APDU accepted; the 16-bit wrapper length allows no more anyway. */
  static final int MAX_APDU = 0xFFFF;
  /**
   * Listener option: seconds a connection may take to complete a DLMS association before it is closed (default
   * 10).
   */
  public static final String PRE_ASSOCIATION_TIMEOUT = "tcp.pre-association-timeout";
  /** Listener option: connections open at once (default 32, enough for a meter's clients). */
  public static final String MAX_CONNECTIONS = "tcp.max-connections";
  /** Listener option: connections open at once from one IP address (default 4). */
  public static final String MAX_CONNECTIONS_PER_ADDRESS = "tcp.max-connections-per-address";

  @Override
  public String scheme() {
    return "tcp";
  }

  @Override
  public boolean datagram() {
    return false;
  }

  @Override
  public void checkUrl(MeterUrl url) {
    InetSocketAddress a;
    try {
      a = address(url);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("tcp URLs need a host and a port, e.g. tcp://127.0.0.1:4059", e);
    }
    if (a.getPort() == 0) {
      throw new IllegalArgumentException("port 1 to 65535 required, got 0"); // 0 means "any" when listening only
    }
  }

  @Override
  public ClientLink connect(MeterUrl url, Duration timeout) throws IOException {
    return TcpClientLink.open(url, address(url), timeout);
  }

  @Override
  public ServerEndpoint listen(MeterUrl url, PduHandler handler) throws IOException {
    return TcpServerEndpoint.start(address(url), handler, TcpServerEndpoint.DEFAULT_PRE_ASSOCIATION_TIMEOUT);
  }

  @Override
  public ServerEndpoint listen(MeterUrl url, PduHandler handler, LinkOptions options) throws IOException {
    String t = options.parameter(PRE_ASSOCIATION_TIMEOUT);
    Duration timeout = TcpServerEndpoint.DEFAULT_PRE_ASSOCIATION_TIMEOUT;
    if (t != null) {
      try {
        timeout = Duration.ofMillis(Math.round(Double.parseDouble(t.strip()) * 1000));
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("pre-association timeout is not a number of seconds: " + t);
      }
    }
    return TcpServerEndpoint.start(address(url), handler, timeout,
        limit(options, MAX_CONNECTIONS, TcpServerEndpoint.MAX_CONNECTIONS),
        limit(options, MAX_CONNECTIONS_PER_ADDRESS, TcpServerEndpoint.MAX_CONNECTIONS_PER_ADDRESS));
  }

  private static int limit(LinkOptions options, String name, int fallback) {
    String v = options.parameter(name);
    if (v == null) {
      return fallback;
    }
    try {
      return Integer.parseInt(v.strip());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(name + " is not a number: " + v);
    }
  }

  private static InetSocketAddress address(MeterUrl url) {
    if (!"tcp".equals(url.scheme())) {
      throw new IllegalArgumentException("not a tcp:// URL: " + url);
    }
    MeterUrl.HostPort hp = url.hostPort();
    return new InetSocketAddress(hp.host(), hp.port());
  }
}
