package org.s3mp.headend.api;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.TreeSet;
import org.s3mp.headend.fleet.NetworkPath;

/**
 * The SCION topology as the head-end sees it ({@code GET /api/topology}): the ASes and inter-AS links of every
 * path its readings took, the ASes grouped by ISD with the countries they announce.
 */
record Topology(List<Isd> isds, List<Link> links, int paths) {

  record Isd(int isd, List<As> ases) {}

  record As(String isdAs, List<String> countries) {}

  /** A link between two ASes by their interfaces (each end once, whichever direction paths took it). */
  record Link(String a, long aInterface, String b, long bInterface) {}

  static Topology of(Collection<NetworkPath> paths) {
    Map<Integer, Map<String, TreeSet<String>>> byIsd = new TreeMap<>();
    Map<String, Link> links = new TreeMap<>();
    for (NetworkPath p : paths) {
      List<NetworkPath.Hop> hops = p.hops();
      for (int i = 0; i < hops.size(); i++) {
        NetworkPath.Hop h = hops.get(i);
        TreeSet<String> countries = byIsd.computeIfAbsent(h.isd(), k -> new TreeMap<>())
            .computeIfAbsent(h.isdAs(), k -> new TreeSet<>());
        if (h.country() != null) {
          countries.add(h.country());
        }
        if (i + 1 < hops.size()) {
          NetworkPath.Hop next = hops.get(i + 1);
          long out = Objects.requireNonNullElse(h.egress(), 0L);
          long in = Objects.requireNonNullElse(next.ingress(), 0L);
          String left = h.isdAs() + "#" + out;
          String right = next.isdAs() + "#" + in;
          Link link = left.compareTo(right) <= 0 ? new Link(h.isdAs(), out, next.isdAs(), in)
              : new Link(next.isdAs(), in, h.isdAs(), out);
          links.putIfAbsent(link.a() + "#" + link.aInterface() + " " + link.b() + "#" + link.bInterface(), link);
        }
      }
    }
    List<Isd> isds = new ArrayList<>();
    byIsd.forEach((isd, ases) -> isds.add(new Isd(isd,
        ases.entrySet().stream().map(e -> new As(e.getKey(), List.copyOf(e.getValue()))).toList())));
    return new Topology(isds, List.copyOf(links.values()), paths.size());
  }
}
