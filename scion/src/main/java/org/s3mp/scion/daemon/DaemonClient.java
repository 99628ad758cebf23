package org.s3mp.scion.daemon;

import com.google.protobuf.Empty;
import com.google.protobuf.Timestamp;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.s3mp.scion.EpicAuths;
import org.s3mp.scion.GeoCoordinates;
import org.s3mp.scion.IsdAs;
import org.s3mp.scion.LinkType;
import org.s3mp.scion.PathInterface;
import org.s3mp.scion.ScionAddress;
import org.s3mp.scion.ScionPath;
import org.s3mp.scion.daemon.proto.ASRequest;
import org.s3mp.scion.daemon.proto.ASResponse;
import org.s3mp.scion.daemon.proto.DRKeyHostHostRequest;
import org.s3mp.scion.daemon.proto.DRKeyHostHostResponse;
import org.s3mp.scion.daemon.proto.DaemonServiceGrpc;
import org.s3mp.scion.daemon.proto.InterfacesRequest;
import org.s3mp.scion.daemon.proto.NotifyInterfaceDownRequest;
import org.s3mp.scion.daemon.proto.Path;
import org.s3mp.scion.daemon.proto.PathsRequest;
import org.s3mp.scion.daemon.proto.PortRangeResponse;

/**
 * Client of the local SCION daemon's gRPC API (plain gRPC, no TLS): AS info, dispatched port range, paths
 * with metadata, interface-down notifications and host-to-host DRKeys. Thread-safe; close it when done.
 */
public final class DaemonClient implements AutoCloseable {
  /** Where scionproto's tools look when neither a flag nor {@code SCION_DAEMON_ADDRESS} says otherwise. */
  public static final String DEFAULT_ADDRESS = "127.0.0.1:30255";
  /** Per-call deadline; DRKey requests may make the daemon ask a remote control service first. */
  public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(10);

  private final String target;
  private final ManagedChannel channel;
  private final DaemonServiceGrpc.DaemonServiceBlockingStub stub;
  private final Duration timeout;

  private DaemonClient(String target, ManagedChannel channel, Duration timeout) {
    this.target = target;
    this.channel = channel;
    this.stub = DaemonServiceGrpc.newBlockingStub(channel);
    this.timeout = timeout;
  }

  /** Connects (lazily) to the daemon at {@code host:port}; only IP literals are accepted. */
  public static DaemonClient connect(String address) {
    InetSocketAddress sa = parseHostPort(address, "daemon address");
    ManagedChannel ch = NettyChannelBuilder.forAddress(sa).usePlaintext().build();
    return new DaemonClient(address, ch, DEFAULT_TIMEOUT);
  }

  /** The daemon address: the explicit one if given, else {@code SCION_DAEMON_ADDRESS}, else the default. */
  public static String resolveAddress(String explicit) {
    if (explicit != null && !explicit.isBlank()) {
      return explicit;
    }
    String env = System.getenv("SCION_DAEMON_ADDRESS");
    return env != null && !env.isBlank() ? env : DEFAULT_ADDRESS;
  }

  /** Over an existing channel (tests use an in-process one); the client closes it. */
  public static DaemonClient over(ManagedChannel channel, String name) {
    return new DaemonClient(name, channel, DEFAULT_TIMEOUT);
  }

  /** The same connection with another per-call deadline. */
  public DaemonClient withTimeout(Duration perCall) {
    return new DaemonClient(target, channel, perCall);
  }

  public String target() {
    return target;
  }

  private DaemonServiceGrpc.DaemonServiceBlockingStub call() {
    return stub.withDeadlineAfter(timeout.toMillis(), TimeUnit.MILLISECONDS);
  }

  private <T> T rpc(String what, Supplier<T> call) throws DaemonException {
    try {
      return call.get();
    } catch (StatusRuntimeException e) {
      String desc = e.getStatus().getDescription();
      throw new DaemonException("SCION daemon at " + target + ": " + what + " failed: " + e.getStatus().getCode()
          + (desc == null ? "" : " (" + desc + ")"), e);
    }
  }

  /** Info about the local AS. */
  public AsInfo localAs() throws DaemonException {
    return asInfo(null);
  }

  /** Info about an AS; null asks for the local one. */
  public AsInfo asInfo(IsdAs ia) throws DaemonException {
    ASRequest req = ASRequest.newBuilder().setIsdAs(ia == null ? 0 : ia.toLong()).build();
    ASResponse r = rpc("AS", () -> call().aS(req));
    return new AsInfo(IsdAs.fromLong(r.getIsdAs()), r.getCore(), r.getMtu());
  }

  public PortRange portRange() throws DaemonException {
    PortRangeResponse r = rpc("PortRange", () -> call().portRange(Empty.getDefaultInstance()));
    return new PortRange(r.getDispatchedPortStart(), r.getDispatchedPortEnd());
  }

  /** The routers' internal addresses by interface id. */
  public Map<Long, InetSocketAddress> interfaces() throws DaemonException {
    var r = rpc("Interfaces", () -> call().interfaces(InterfacesRequest.getDefaultInstance()));
    Map<Long, InetSocketAddress> out = new TreeMap<>();
    for (var e : r.getInterfacesMap().entrySet()) {
      out.put(e.getKey(), parseHostPort(e.getValue().getAddress().getAddress(), "interface address"));
    }
    return out;
  }

  /**
   * Paths from {@code src} to {@code dst} in the daemon's order. {@code refresh} makes the daemon ask its
   * control service again instead of answering from its cache.
   */
  public List<ScionPath> paths(IsdAs src, IsdAs dst, boolean refresh) throws DaemonException {
    PathsRequest req = PathsRequest.newBuilder().setSourceIsdAs(src.toLong()).setDestinationIsdAs(dst.toLong())
        .setRefresh(refresh).build();
    var r = rpc("Paths to " + dst, () -> call().paths(req));
    List<ScionPath> out = new ArrayList<>(r.getPathsCount());
    for (Path p : r.getPathsList()) {
      out.add(convert(src, dst, p));
    }
    return out;
  }

  /** Tells the daemon that a link is down so that it drops the paths over it (as snet does on SCMP type 5). */
  public void notifyInterfaceDown(IsdAs ia, long interfaceId) throws DaemonException {
    NotifyInterfaceDownRequest req = NotifyInterfaceDownRequest.newBuilder().setIsdAs(ia.toLong())
        .setId(interfaceId).build();
    rpc("NotifyInterfaceDown", () -> call().notifyInterfaceDown(req));
  }

  /**
   * The host-to-host DRKey for {@code protocolId} (0-65535; 0 is refused by the daemon for host keys) valid
   * at {@code validAt}, between {@code src} and {@code dst} (their host IPs matter, the ports do not).
   */
  public DrKey drKeyHostHost(Instant validAt, int protocolId, ScionAddress src, ScionAddress dst)
      throws DaemonException {
    if (protocolId < 0 || protocolId > 0xFFFF) {
      throw new IllegalArgumentException("DRKey protocol id must be 0-65535: " + protocolId);
    }
    DRKeyHostHostRequest req = DRKeyHostHostRequest.newBuilder().setValTime(timestamp(validAt))
        .setProtocolId(protocolId).setSrcIa(src.isdAs().toLong()).setDstIa(dst.isdAs().toLong())
        .setSrcHost(src.host().getHostAddress()).setDstHost(dst.host().getHostAddress()).build();
    DRKeyHostHostResponse r = rpc("DRKeyHostHost", () -> call().dRKeyHostHost(req));
    return new DrKey(instant(r.getEpochBegin()), instant(r.getEpochEnd()), r.getKey().toByteArray());
  }

  static ScionPath convert(IsdAs src, IsdAs dst, Path p) throws DaemonException {
    Instant expiry = instant(p.getExpiration());
    if (p.getInterfacesCount() == 0) {
      return ScionPath.local(dst, p.getMtu(), expiry);
    }
    InetSocketAddress nextHop;
    try {
      nextHop = parseHostPort(p.getInterface().getAddress().getAddress(), "path next hop");
    } catch (IllegalArgumentException e) {
      throw new DaemonException("SCION daemon returned a path with a bad next hop: " + e.getMessage(), e);
    }
    List<PathInterface> ifs = new ArrayList<>();
    p.getInterfacesList().forEach(i -> ifs.add(new PathInterface(IsdAs.fromLong(i.getIsdAs()), i.getId())));
    List<Duration> lat = new ArrayList<>();
    p.getLatencyList().forEach(d -> lat.add(Duration.ofSeconds(d.getSeconds(), d.getNanos())));
    List<GeoCoordinates> geo = new ArrayList<>();
    p.getGeoList().forEach(g -> geo.add(new GeoCoordinates(g.getLatitude(), g.getLongitude(), g.getAddress())));
    List<LinkType> lt = new ArrayList<>();
    p.getLinkTypeList().forEach(t -> lt.add(switch (t) {
      case LINK_TYPE_DIRECT -> LinkType.DIRECT;
      case LINK_TYPE_MULTI_HOP -> LinkType.MULTI_HOP;
      case LINK_TYPE_OPEN_NET -> LinkType.OPEN_NET;
      default -> LinkType.UNSPECIFIED;
    }));
    List<Integer> hops = new ArrayList<>(p.getInternalHopsList());
    try {
      ScionPath path = new ScionPath(src, dst, p.getRaw().toByteArray(), nextHop, ifs, p.getMtu(), expiry, lat,
          p.getBandwidthList(), geo, lt, hops, p.getNotesList());
      // scionproto leaves both empty when an AS on the last two hops did not add EPIC authenticators
      if (p.hasEpicAuths() && !p.getEpicAuths().getAuthPhvf().isEmpty()) {
        path = path.withEpicAuths(new EpicAuths(p.getEpicAuths().getAuthPhvf().toByteArray(),
            p.getEpicAuths().getAuthLhvf().toByteArray()));
      }
      return path;
    } catch (IllegalArgumentException e) {
      throw new DaemonException("SCION daemon returned an inconsistent path: " + e.getMessage(), e);
    }
  }

  private static Instant instant(Timestamp t) {
    return Instant.ofEpochSecond(t.getSeconds(), t.getNanos());
  }

  private static Timestamp timestamp(Instant i) {
    return Timestamp.newBuilder().setSeconds(i.getEpochSecond()).setNanos(i.getNano()).build();
  }

  /** Parses {@code IP:PORT} or {@code [IPv6]:PORT} without any name lookup. */
  public static InetSocketAddress parseHostPort(String text, String what) {
    int colon = text.lastIndexOf(':');
    if (colon <= 0 || colon == text.length() - 1) {
      throw new IllegalArgumentException(what + " must be IP:PORT, got '" + text + "'");
    }
    String host = text.substring(0, colon);
    if (host.startsWith("[") && host.endsWith("]")) {
      host = host.substring(1, host.length() - 1);
    }
    String portText = text.substring(colon + 1);
    if (portText.length() > 5 || !portText.chars().allMatch(c -> c >= '0' && c <= '9')) {
      throw new IllegalArgumentException(what + " has a bad port: '" + text + "'");
    }
    int port = Integer.parseInt(portText);
    if (port > 0xFFFF) {
      throw new IllegalArgumentException(what + " has a bad port: '" + text + "'");
    }
    return new InetSocketAddress(ScionAddress.parseIp(host, text), port);
  }

  @Override
  public void close() {
    channel.shutdownNow();
    try {
      channel.awaitTermination(2, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
