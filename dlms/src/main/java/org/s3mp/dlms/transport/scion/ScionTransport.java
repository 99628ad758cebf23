package org.s3mp.dlms.transport.scion;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.s3mp.dlms.transport.ClientLink;
import org.s3mp.dlms.transport.LinkOptions;
import org.s3mp.dlms.transport.MeterUrl;
import org.s3mp.dlms.transport.PduHandler;
import org.s3mp.dlms.transport.ServerEndpoint;
import org.s3mp.dlms.transport.TransportProvider;
import org.s3mp.scion.ScionAddress;
import org.s3mp.scion.daemon.DaemonClient;
import org.s3mp.scion.policy.PathPolicy;

/**
 * {@code scion://ISD-AS,[IP]:PORT}: DLMS wrapper PDUs in SCION/UDP datagrams (one PDU per datagram) over our own
 * SCION end-host stack. The client sends over the path its policy allows and fails over between paths; the
 * meter answers on the reversed path of each request.
 */
public final class ScionTransport implements TransportProvider {
  /** Parameter: the SCION daemon ({@code IP:PORT}); default {@code SCION_DAEMON_ADDRESS}, then 127.0.0.1:30255. */
  public static final String DAEMON = "scion.daemon";
  /** Parameter: the local host address to bind; default the daemon's IP (the AS's host address). */
  public static final String LOCAL_HOST = "scion.local";
  /** Parameter: the path policy, as JSON text or as the path of a JSON/YAML policy file. */
  public static final String POLICY = "scion.policy";
  /**
   * Listener parameter: the sources a meter accepts datagrams from, {@code ISD-AS} or {@code ISD-AS,HOST}
   * separated by spaces ({@link TrustedSources#format()}); absent or blank: any source.
   */
  public static final String TRUST = "scion.trust";

  @Override
  public String scheme() {
    return "scion";
  }

  @Override
  public boolean datagram() {
    return true;
  }

  @Override
  public ClientLink connect(MeterUrl url, Duration timeout) throws IOException {
    return connect(url, LinkOptions.of(timeout));
  }

  @Override
  public ClientLink connect(MeterUrl url, LinkOptions options) throws IOException {
    return ScionClientLink.open(url, address(url), options, policy(options));
  }

  @Override
  public ServerEndpoint listen(MeterUrl url, PduHandler handler) throws IOException {
    return listen(url, handler, LinkOptions.of(Duration.ofSeconds(5)));
  }

  @Override
  public ServerEndpoint listen(MeterUrl url, PduHandler handler, LinkOptions options) throws IOException {
    return ScionServerEndpoint.start(address(url), handler, daemonAddress(options),
        TrustedSources.parseList(options.parameter(TRUST)));
  }

  static ScionAddress address(MeterUrl url) {
    if (!"scion".equals(url.scheme())) {
      throw new IllegalArgumentException("not a scion:// URL: " + url);
    }
    try {
      return ScionAddress.parse(url.address());
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("bad SCION address in " + url + " (want scion://ISD-AS,[IP]:PORT): "
          + e.getMessage(), e);
    }
  }

  static String daemonAddress(LinkOptions o) {
    return DaemonClient.resolveAddress(o.parameter(DAEMON));
  }

  /** The local host: explicit, else the daemon's IP, which in a SCION AS runs on the host's own address. */
  static InetAddress localHost(LinkOptions o, String daemonAddress) throws IOException {
    String explicit = o.parameter(LOCAL_HOST);
    return InetAddress.getByName(explicit != null ? explicit
        : DaemonClient.parseHostPort(daemonAddress, "daemon address").getAddress().getHostAddress());
  }

  static PathPolicy policy(LinkOptions o) throws IOException {
    String p = o.parameter(POLICY);
    if (p == null) {
      return PathPolicy.allowAll();
    }
    String trimmed = p.strip();
    if (trimmed.startsWith("{")) {
      return PathPolicy.parseJson(trimmed, "meter policy");
    }
    Path file = Path.of(trimmed);
    if (!Files.isReadable(file)) {
      throw new IOException("path policy file not readable: " + file);
    }
    return PathPolicy.load(file);
  }
}
