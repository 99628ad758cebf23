package org.s3mp.dlms.transport.scion;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.stream.Collectors;
import org.s3mp.dlms.transport.ClientLink;
import org.s3mp.dlms.transport.Geofence;
import org.s3mp.dlms.transport.LinkOptions;
import org.s3mp.dlms.transport.MeterUrl;
import org.s3mp.dlms.transport.PduHandler;
import org.s3mp.dlms.transport.ServerEndpoint;
import org.s3mp.dlms.transport.TransportProvider;
import org.s3mp.dlms.drkey.DrkeyKeySource;
import org.s3mp.scion.AsTopology;
import org.s3mp.scion.ScionAddress;
import org.s3mp.scion.daemon.DaemonClient;
import org.s3mp.scion.policy.PathPolicy;

/**
 * {@code scion://ISD-AS,[IP]:PORT}: DLMS wrapper PDUs in SCION/UDP datagrams (one PDU per datagram) over our own
 * SCION end-host stack. The client sends over the path its policy allows and fails over between paths; the
 * meter answers on the reversed path of each request.
 */
public final class ScionTransport implements TransportProvider {
  /** Parameter: the local host address to bind; default the daemon's IP (the AS's host address). */
  public static final String LOCAL_HOST = "scion.local";
  /**
   * Listener parameter: the sources a meter accepts datagrams from, {@code ISD-AS} or {@code ISD-AS,HOST}
   * separated by spaces ({@link TrustedSources#format()}); absent or blank: any source.
   */
  public static final String TRUST = "scion.trust";
  /**
   * Listener parameter: the AS's scionproto topology file (topology.json); the listener takes the AS, MTU and
   * dispatched ports from it instead of from the daemon (a meter with static keys then needs no daemon).
   */
  public static final String TOPOLOGY = "scion.topology";

  @Override
  public String scheme() {
    return "scion";
  }

  @Override
  public boolean datagram() {
    return true;
  }

  @Override
  public void checkUrl(MeterUrl url) {
    if (address(url).port() == 0) {
      throw new IllegalArgumentException("port 1 to 65535 required, got 0"); // 0 means "any" when listening only
    }
  }

  @Override
  public boolean pathAware() {
    return true;
  }

  @Override
  public Optional<Geofence> geofence(LinkOptions options) throws IOException {
    PathPolicy p = policy(options);
    return Optional.of(new Geofence(p.name(), p.allowedIsds(),
        p.allowedAses() == null ? null : p.allowedAses().stream().map(Object::toString).collect(Collectors.toSet()),
        p.allowedCountries()));
  }

  @Override
  public ClientLink connect(MeterUrl url, Duration timeout) throws IOException {
    return connect(url, LinkOptions.of(timeout));
  }

  @Override
  public ClientLink connect(MeterUrl url, LinkOptions options) throws IOException {
    return ScionClientLink.open(url, address(url), options, policy(options), drkeyProtocol(options));
  }

  @Override
  public ServerEndpoint listen(MeterUrl url, PduHandler handler) throws IOException {
    return listen(url, handler, LinkOptions.of(Duration.ofSeconds(5)));
  }

  @Override
  public ServerEndpoint listen(MeterUrl url, PduHandler handler, LinkOptions options) throws IOException {
    TrustedSources trusted = TrustedSources.parseList(options.parameter(TRUST));
    String topology = options.parameter(TOPOLOGY);
    return topology != null
        ? ScionServerEndpoint.start(address(url), handler, AsTopology.read(Path.of(topology)), trusted)
        : ScionServerEndpoint.start(address(url), handler, daemonAddress(options), trusted);
  }

  static ScionAddress address(MeterUrl url) {
    if (!"scion".equals(url.scheme())) {
      throw new IllegalArgumentException("not a scion:// URL: " + url);
    }
    try {
      return ScionAddress.parse(url.address());
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("scion URLs are scion://ISD-AS,[IP]:PORT, e.g."
          + " scion://1-ff00:0:111,[127.0.111.1]:4059 (" + e.getMessage() + ")", e);
    }
  }

  static String daemonAddress(LinkOptions o) {
    return DaemonClient.resolveAddress(o.parameter(LinkOptions.SCION_DAEMON));
  }

  static int drkeyProtocol(LinkOptions o) {
    String p = o.parameter(LinkOptions.DRKEY_PROTOCOL);
    if (p == null) {
      return DrkeyKeySource.DEFAULT_PROTOCOL;
    }
    try {
      int n = Integer.parseInt(p.strip());
      if (n >= 2 && n <= 0xFFFF) {
        return n;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw new IllegalArgumentException("DRKey protocol must be 2-65535 (0 and 1 are reserved): " + p);
  }

  /** The local host: explicit, else the daemon's IP, which in a SCION AS runs on the host's own address. */
  static InetAddress localHost(LinkOptions o, String daemonAddress) throws IOException {
    String explicit = o.parameter(LOCAL_HOST);
    return InetAddress.getByName(explicit != null ? explicit
        : DaemonClient.parseHostPort(daemonAddress, "daemon address").getAddress().getHostAddress());
  }

  static PathPolicy policy(LinkOptions o) throws IOException {
    PathPolicy p = policyWithoutEpicOption(o);
    return Boolean.parseBoolean(o.parameter(LinkOptions.EPIC)) ? p.withEpic() : p;
  }

  private static PathPolicy policyWithoutEpicOption(LinkOptions o) throws IOException {
    String p = o.parameter(LinkOptions.PATH_POLICY);
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
