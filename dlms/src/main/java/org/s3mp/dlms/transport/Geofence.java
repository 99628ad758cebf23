package org.s3mp.dlms.transport;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Where a path policy lets a meter's traffic go (path-aware transports): the ISDs, the ASes between the two
 * ends and the countries allowed. A null set is no rule. {@link #violations} checks a path that was taken, so
 * that stored paths can be checked against the fence after the fact, independently of the path selection.
 *
 * @param policy the policy's name
 */
public record Geofence(String policy, Set<Integer> isds, Set<String> ases, Set<String> countries) {
  public Geofence {
    isds = isds == null ? null : Set.copyOf(isds);
    ases = ases == null ? null : Set.copyOf(ases);
    countries = countries == null ? null
        : Set.copyOf(countries.stream().map(c -> c.toUpperCase(Locale.ROOT)).toList());
  }

  /** Whether the fence has any rule at all. */
  public boolean restricts() {
    return isds != null || ases != null || countries != null;
  }

  /**
   * Why {@code path} lies outside this fence, one line per offending hop and rule; empty when it lies inside.
   * A hop of unknown country is outside a country rule (compliance cannot be shown), except inside one AS.
   */
  public List<String> violations(LinkPath path) {
    List<String> out = new ArrayList<>();
    List<LinkPath.Hop> hops = path.hops();
    for (int i = 0; i < hops.size(); i++) {
      LinkPath.Hop h = hops.get(i);
      if (isds != null && !isds.contains(h.isd())) {
        out.add(h.isdAs() + ": ISD " + h.isd() + " not in " + isds);
      }
      if (ases != null && i > 0 && i < hops.size() - 1 && !ases.contains(h.isdAs())) {
        out.add(h.isdAs() + ": AS not allowed");
      }
      if (countries != null && hops.size() > 1) {
        if (h.country() == null) {
          out.add(h.isdAs() + ": country unknown");
        } else if (!countries.contains(h.country().toUpperCase(Locale.ROOT))) {
          out.add(h.isdAs() + ": country " + h.country() + " not in " + countries);
        }
      }
    }
    return out;
  }
}
