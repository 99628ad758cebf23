package org.s3mp.headend.api;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.s3mp.dlms.transport.Geofence;
import org.s3mp.headend.fleet.NetworkPath;
import org.s3mp.headend.storage.PathStore;

/**
 * A meter's path history as the API serves it ({@code GET /api/meters/{id}/paths}): the paths its readings took
 * in a range with the share of each, every change of path, its policy's geofence and how many readings crossed
 * outside it - counted from the stored paths, not taken from the path selection that should have prevented it.
 */
record PathReport(String meterId, Instant from, Instant to, long readings, long readingsWithPath,
    List<PathShare> paths, List<Failover> failovers, Fence geofence, Outside outsideGeofence) {

  /** One path and the readings that took it. */
  record PathShare(long id, NetworkPath path, long readings, double share) {}

  /**
   * A change of path at {@code at} (the first reading over the new path), with its reason as the transport
   * reported it ({@code timeout}, {@code SCMP interface down (IA#IF)}, {@code policy}) or {@code new association
   * after: ERROR}; null when not known (readings stored before reasons were, or the first after a restart).
   */
  record Failover(Instant at, long fromPathId, String from, long toPathId, String to, String reason) {}

  /** The policy's geofence; a null list is no rule of that kind. */
  record Fence(String policy, List<Integer> isds, List<String> ases, List<String> countries) {}

  /** Readings whose stored path lies outside the fence, checked against every stored path of the range. */
  record Outside(long readings, long checkedReadings, int checkedPaths, List<Violation> paths) {}

  /** A path outside the fence, with the readings that took it and why it is outside. */
  record Violation(long pathId, String path, long readings, List<String> reasons) {}

  static PathReport of(String meterId, Instant from, Instant to, PathStore.History h, PathStore store,
      Geofence fence) {
    long withPath = h.perPath().values().stream().mapToLong(Long::longValue).sum();
    List<PathShare> shares = new ArrayList<>();
    List<Violation> violations = new ArrayList<>();
    long outside = 0;
    for (Map.Entry<Long, Long> e : h.perPath().entrySet()) {
      NetworkPath p = store.byId(e.getKey());
      shares.add(new PathShare(e.getKey(), p, e.getValue(), withPath == 0 ? 0 : (double) e.getValue() / withPath));
      if (fence != null) {
        List<String> why = fence.violations(p.toLinkPath());
        if (!why.isEmpty()) {
          outside += e.getValue();
          violations.add(new Violation(e.getKey(), p.notation(), e.getValue(), why));
        }
      }
    }
    shares.sort((a, b) -> Long.compare(b.readings(), a.readings()));
    List<Failover> failovers = h.changes().stream().map(c -> new Failover(c.at(), c.fromPath(),
        store.byId(c.fromPath()).notation(), c.toPath(), store.byId(c.toPath()).notation(), c.reason())).toList();
    Fence f = fence == null ? null : new Fence(fence.policy(), sorted(fence.isds()), sorted(fence.ases()),
        sorted(fence.countries()));
    Outside o = fence == null ? null : new Outside(outside, withPath, h.perPath().size(), violations);
    return new PathReport(meterId, from, to, h.readings(), withPath, shares, failovers, f, o);
  }

  private static <T extends Comparable<T>> List<T> sorted(java.util.Set<T> s) {
    return s == null ? null : s.stream().sorted().toList();
  }
}
