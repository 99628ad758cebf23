package org.s3mp.dlms.transport;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The network path that carried the last exchange of a link, for path-aware transports: the ASes it crossed in
 * order, each with the interfaces it was entered and left by, the country it announces and the latencies it
 * announces (SCION path metadata). Everything above the transport sees paths only in this form.
 *
 * @param hops the ASes from this end to the meter's; one hop without interfaces for a path inside one AS
 */
public record LinkPath(List<Hop> hops) {

  /**
   * One AS on a path.
   *
   * @param isdAs the AS in {@code ISD-AS} notation, e.g. {@code 1-ff00:0:110}
   * @param ingress the interface the path enters the AS by; 0 at the path's first AS
   * @param egress the interface the path leaves the AS by; 0 at the path's last AS
   * @param country where the AS locates the border routers of this path (ISO code in the testbed), null if unknown
   * @param internalLatency announced latency from ingress to egress inside the AS, null if unknown or at an end
   * @param linkLatency announced latency of the link to the next AS, null if unknown or at the last AS
   */
  public record Hop(String isdAs, long ingress, long egress, String country, Duration internalLatency,
      Duration linkLatency) {
    public Hop {
      Objects.requireNonNull(isdAs, "isdAs");
      if (!isdAs.matches("\\d+-[0-9a-fA-F:]+")) {
        throw new IllegalArgumentException("not an ISD-AS: " + isdAs);
      }
      if (ingress < 0 || egress < 0) {
        throw new IllegalArgumentException("interface ids are not negative: " + ingress + ", " + egress);
      }
    }

    /** The ISD number of the AS. */
    public int isd() {
      return Integer.parseInt(isdAs.substring(0, isdAs.indexOf('-')));
    }
  }

  public LinkPath {
    hops = List.copyOf(hops);
    if (hops.isEmpty()) {
      throw new IllegalArgumentException("a path has at least one AS");
    }
  }

  /** The ASes in order. */
  public List<String> ases() {
    return hops.stream().map(Hop::isdAs).toList();
  }

  /** The ISDs crossed, in path order without repeats. */
  public List<Integer> isds() {
    return List.copyOf(new LinkedHashSet<>(hops.stream().map(Hop::isd).toList()));
  }

  /** The known countries of the hops, in path order without repeats. */
  public List<String> countries() {
    return List.copyOf(new LinkedHashSet<>(hops.stream().map(Hop::country).filter(Objects::nonNull).toList()));
  }

  /** The interfaces in path order, {@code ISD-AS#ID} (empty inside one AS). */
  public List<String> interfaces() {
    List<String> out = new ArrayList<>();
    for (Hop h : hops) {
      if (h.ingress() != 0) {
        out.add(h.isdAs() + "#" + h.ingress());
      }
      if (h.egress() != 0) {
        out.add(h.isdAs() + "#" + h.egress());
      }
    }
    return out;
  }

  /** The sum of the announced latencies, empty when any is unknown. */
  public Optional<Duration> latency() {
    Duration sum = Duration.ZERO;
    for (int i = 0; i < hops.size(); i++) {
      Hop h = hops.get(i);
      if (i > 0 && i < hops.size() - 1) {
        if (h.internalLatency() == null) {
          return Optional.empty();
        }
        sum = sum.plus(h.internalLatency());
      }
      if (i < hops.size() - 1) {
        if (h.linkLatency() == null) {
          return Optional.empty();
        }
        sum = sum.plus(h.linkLatency());
      }
    }
    return Optional.of(sum);
  }

  /**
   * scionproto's notation: {@code [1-ff00:0:112 2>2 1-ff00:0:120 1>2 1-ff00:0:111]}; a path inside one AS is
   * {@code (inside 1-ff00:0:111)}.
   */
  public String notation() {
    if (hops.size() == 1) {
      return "(inside " + hops.get(0).isdAs() + ")";
    }
    StringBuilder sb = new StringBuilder("[");
    for (int i = 0; i < hops.size(); i++) {
      Hop h = hops.get(i);
      if (i > 0) {
        sb.append('>').append(h.ingress()).append(' ');
      }
      sb.append(h.isdAs());
      if (i < hops.size() - 1) {
        sb.append(' ').append(h.egress());
      }
    }
    return sb.append(']').toString();
  }

  @Override
  public String toString() {
    return notation();
  }
}
