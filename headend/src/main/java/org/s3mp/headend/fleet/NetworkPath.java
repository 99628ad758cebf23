package org.s3mp.headend.fleet;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import org.s3mp.dlms.transport.LinkPath;

/**
 * The network path one reading took, as the head-end stores and serves it: the ASes in order with their
 * interfaces, countries and announced latencies (from the transport's {@link LinkPath}).
 *
 * @param hops the ASes from the head-end's to the meter's
 * @param latencyMs the sum of the announced latencies, null when any hop announced none
 */
public record NetworkPath(List<Hop> hops, Double latencyMs) {

  /**
   * One AS on the path.
   *
   * @param ingress the interface the path enters the AS by, null at the first AS
   * @param egress the interface the path leaves it by, null at the last AS
   * @param country the country the AS announces for this path's routers, null if unknown
   * @param internalLatencyMs announced latency from ingress to egress, null if unknown
   * @param linkLatencyMs announced latency of the link to the next AS, null if unknown
   */
  public record Hop(String isdAs, int isd, Long ingress, Long egress, String country, Double internalLatencyMs,
      Double linkLatencyMs) {
    public Hop {
      Objects.requireNonNull(isdAs, "isdAs");
    }
  }

  public NetworkPath {
    hops = List.copyOf(hops);
    if (hops.isEmpty()) {
      throw new IllegalArgumentException("a path has at least one AS");
    }
  }

  /** The path the transport reported. */
  public static NetworkPath of(LinkPath p) {
    List<Hop> hops = p.hops().stream().map(h -> new Hop(h.isdAs(), h.isd(), h.ingress() == 0 ? null : h.ingress(),
        h.egress() == 0 ? null : h.egress(), h.country(), ms(h.internalLatency()), ms(h.linkLatency()))).toList();
    return new NetworkPath(hops, p.latency().map(NetworkPath::ms).orElse(null));
  }

  /** Back to the transport's form, e.g. to check it against a geofence. */
  public LinkPath toLinkPath() {
    return new LinkPath(hops.stream().map(h -> new LinkPath.Hop(h.isdAs(), h.ingress() == null ? 0 : h.ingress(),
        h.egress() == null ? 0 : h.egress(), h.country(), duration(h.internalLatencyMs()),
        duration(h.linkLatencyMs()))).toList());
  }

  /** The ISDs crossed, in path order without repeats. */
  @JsonProperty("isds")
  public List<Integer> isds() {
    return List.copyOf(new LinkedHashSet<>(hops.stream().map(Hop::isd).toList()));
  }

  /** The known countries of the hops, in path order without repeats. */
  @JsonProperty("countries")
  public List<String> countries() {
    return List.copyOf(new LinkedHashSet<>(hops.stream().map(Hop::country).filter(Objects::nonNull).toList()));
  }

  /** scionproto's notation, e.g. {@code [1-ff00:0:112 2>2 1-ff00:0:120 1>2 1-ff00:0:111]}. */
  @JsonProperty("notation")
  public String notation() {
    return toLinkPath().notation();
  }

  private static Double ms(Duration d) {
    return d == null ? null : d.toNanos() / 1e6;
  }

  private static Duration duration(Double ms) {
    return ms == null ? null : Duration.ofNanos(Math.round(ms * 1e6));
  }
}
