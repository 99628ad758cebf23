package org.s3mp.scion;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * A path from the local AS to a destination AS as the daemon returns it: the ready-to-send path bytes, the
 * underlay next hop (the first border router's internal address), the interface sequence and all metadata.
 * The metadata lists are indexed as in scionproto: latency, bandwidth, geo and link type per interface pair
 * or interface, internal hops per AS; an AS that announced nothing yields "unknown" entries.
 * A path inside one AS has no interfaces, empty raw bytes and no next hop.
 */
public final class ScionPath {
  private final IsdAs source;
  private final IsdAs destination;
  private final byte[] raw;
  private final InetSocketAddress nextHop;
  private final List<PathInterface> interfaces;
  private final int mtu;
  private final Instant expiry;
  private final List<Duration> latencies;
  private final List<Long> bandwidths;
  private final List<GeoCoordinates> geo;
  private final List<LinkType> linkTypes;
  private final List<Integer> internalHops;
  private final List<String> notes;
  private final EpicAuths epicAuths;
  /** Computed once: selection looks paths up by fingerprint several times per request (a racy init is benign). */
  private String hops;
  private String fingerprint;

  public ScionPath(IsdAs source, IsdAs destination, byte[] raw, InetSocketAddress nextHop,
      List<PathInterface> interfaces, int mtu, Instant expiry, List<Duration> latencies, List<Long> bandwidths,
      List<GeoCoordinates> geo, List<LinkType> linkTypes, List<Integer> internalHops, List<String> notes) {
    this(source, destination, raw, nextHop, interfaces, mtu, expiry, latencies, bandwidths, geo, linkTypes,
        internalHops, notes, null);
  }

  private ScionPath(IsdAs source, IsdAs destination, byte[] raw, InetSocketAddress nextHop,
      List<PathInterface> interfaces, int mtu, Instant expiry, List<Duration> latencies, List<Long> bandwidths,
      List<GeoCoordinates> geo, List<LinkType> linkTypes, List<Integer> internalHops, List<String> notes,
      EpicAuths epicAuths) {
    this.epicAuths = epicAuths;
    this.source = Objects.requireNonNull(source);
    this.destination = Objects.requireNonNull(destination);
    this.raw = raw.clone();
    this.nextHop = nextHop;
    this.interfaces = List.copyOf(interfaces);
    this.mtu = mtu;
    this.expiry = Objects.requireNonNull(expiry);
    this.latencies = List.copyOf(latencies);
    this.bandwidths = List.copyOf(bandwidths);
    this.geo = List.copyOf(geo);
    this.linkTypes = List.copyOf(linkTypes);
    this.internalHops = List.copyOf(internalHops);
    this.notes = List.copyOf(notes);
    if (this.interfaces.isEmpty() != (this.raw.length == 0)) {
      throw new IllegalArgumentException("a path has interfaces exactly when it has path bytes");
    }
    if (!this.interfaces.isEmpty() && nextHop == null) {
      throw new IllegalArgumentException("an inter-AS path needs a next hop");
    }
  }

  /** The path inside the local AS (empty path, direct delivery). */
  public static ScionPath local(IsdAs ia, int mtu, Instant expiry) {
    return new ScionPath(ia, ia, new byte[0], null, List.of(), mtu, expiry, List.of(), List.of(), List.of(),
        List.of(), List.of(), List.of());
  }

  public IsdAs source() {
    return source;
  }

  public IsdAs destination() {
    return destination;
  }

  public boolean isLocal() {
    return interfaces.isEmpty();
  }

  /** The path header bytes, ready to send (CurrINF = CurrHF = 0). Empty for a local path. */
  public byte[] raw() {
    return raw.clone();
  }

  /** The first border router's internal address, or empty inside the local AS. */
  public Optional<InetSocketAddress> nextHop() {
    return Optional.ofNullable(nextHop);
  }

  public List<PathInterface> interfaces() {
    return interfaces;
  }

  public int mtu() {
    return mtu;
  }

  public Instant expiry() {
    return expiry;
  }

  /** Latency per link and AS crossing; a negative entry means the AS did not announce it. */
  public List<Duration> latencies() {
    return latencies;
  }

  public List<Long> bandwidths() {
    return bandwidths;
  }

  public List<GeoCoordinates> geo() {
    return geo;
  }

  public List<LinkType> linkTypes() {
    return linkTypes;
  }

  public List<Integer> internalHops() {
    return internalHops;
  }

  public List<String> notes() {
    return notes;
  }

  /** The EPIC-HP authenticators, when the ASes on the path offer EPIC (control service {@code beaconing.epic}). */
  public Optional<EpicAuths> epicAuths() {
    return Optional.ofNullable(epicAuths);
  }

  /** This path with EPIC-HP authenticators (an inter-AS path only: inside an AS there is no router to check). */
  public ScionPath withEpicAuths(EpicAuths auths) {
    if (isLocal()) {
      throw new IllegalArgumentException("a path inside the local AS has no EPIC authenticators");
    }
    return new ScionPath(source, destination, raw, nextHop, interfaces, mtu, expiry, latencies, bandwidths, geo,
        linkTypes, internalHops, notes, Objects.requireNonNull(auths));
  }

  /** Number of ASes on the path (1 inside the local AS). */
  public int hopCount() {
    return interfaces.size() / 2 + 1;
  }

  /** The ASes on the path in order. */
  public List<IsdAs> isdAses() {
    if (interfaces.isEmpty()) {
      return List.of(source);
    }
    Set<IsdAs> seen = new LinkedHashSet<>();
    for (PathInterface pi : interfaces) {
      seen.add(pi.isdAs());
    }
    return new ArrayList<>(seen);
  }

  /** Sum of the announced latencies, or empty when any hop did not announce one. */
  public Optional<Duration> totalLatency() {
    if (interfaces.isEmpty()) {
      return Optional.of(Duration.ZERO);
    }
    if (latencies.isEmpty() || latencies.stream().anyMatch(Duration::isNegative)) {
      return Optional.empty();
    }
    return Optional.of(latencies.stream().reduce(Duration.ZERO, Duration::plus));
  }

  /** The non-empty geo addresses (the testbed's country codes), in path order without repeats. */
  public Set<String> geoAddresses() {
    return geo.stream().map(GeoCoordinates::address).filter(a -> !a.isEmpty())
        .collect(Collectors.toCollection(LinkedHashSet::new));
  }

  /** The interface sequence in scionproto's notation: {@code [1-ff00:0:111 1>2 1-ff00:0:110 3>1 1-ff00:0:112]}. */
  public String hops() {
    String h = hops;
    if (h == null) {
      hops = h = formatHops();
    }
    return h;
  }

  private String formatHops() {
    if (interfaces.isEmpty()) {
      return "[]";
    }
    StringBuilder sb = new StringBuilder("[");
    sb.append(interfaces.get(0).isdAs()).append(' ').append(interfaces.get(0).id());
    for (int i = 1; i < interfaces.size() - 1; i += 2) {
      PathInterface in = interfaces.get(i);
      PathInterface out = interfaces.get(i + 1);
      sb.append('>').append(in.id()).append(' ').append(in.isdAs()).append(' ').append(out.id());
    }
    PathInterface last = interfaces.get(interfaces.size() - 1);
    sb.append('>').append(last.id()).append(' ').append(last.isdAs()).append(']');
    return sb.toString();
  }

  /** Identifies the path by its interfaces (stable across refreshes, unlike the raw bytes). */
  public String fingerprint() {
    String f = fingerprint;
    if (f == null) {
      fingerprint = f = source + ">" + destination + " " + hops();
    }
    return f;
  }

  @Override
  public String toString() {
    return hops() + " MTU " + mtu + (nextHop == null ? "" : " NextHop " + nextHop.getAddress().getHostAddress()
        + ":" + nextHop.getPort());
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof ScionPath p && p.fingerprint().equals(fingerprint()) && java.util.Arrays.equals(p.raw, raw);
  }

  @Override
  public int hashCode() {
    return fingerprint().hashCode();
  }
}
