package org.s3mp.testbed;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.s3mp.testbed.TopologySpec.Interface;
import org.s3mp.testbed.TopologySpec.Role;

/**
 * The testbed's hidden-path group (scionproto's hidden paths, doc/hidden-paths.rst): the concentrator ASes are the
 * writers and register their down-segments only in this group, at the head-end ASes, which are owner, registries
 * and readers. No other AS (cores, the outsider) learns a down-segment to a concentrator, so it finds no path to a
 * meter. The registries are public ASes on purpose: a writer must reach its registry over ordinary paths.
 *
 * @param id the group id in scionproto's notation, owner AS and a 16-bit suffix: {@code ff00:0:112-1}
 */
public record HiddenPathGroup(String id, String owner, List<String> writers, List<String> readers,
    List<String> registries) {

  /** The group of a topology: its concentrators hidden, readable by its head-ends. */
  public static HiddenPathGroup of(TopologySpec topo) {
    List<String> concentrators = withRole(topo, Role.CONCENTRATOR);
    List<String> headEnds = withRole(topo, Role.HEAD_END);
    if (concentrators.isEmpty() || headEnds.isEmpty()) {
      throw new IllegalArgumentException("hidden paths need a concentrator and a head-end AS in the topology");
    }
    String owner = headEnds.get(0);
    return new HiddenPathGroup(owner.substring(owner.indexOf('-') + 1) + "-1", owner, concentrators, headEnds,
        headEnds);
  }

  private static List<String> withRole(TopologySpec topo, Role role) {
    return topo.ases().entrySet().stream().filter(e -> e.getValue().role() == role).map(e -> e.getKey()).toList();
  }

  public HiddenPathGroup {
    writers = List.copyOf(writers);
    readers = List.copyOf(readers);
    registries = List.copyOf(registries);
  }

  /** Whether an AS takes part (and so runs the hidden segment services and reads this group's file). */
  public boolean member(String ia) {
    return owner.equals(ia) || writers.contains(ia) || readers.contains(ia) || registries.contains(ia);
  }

  /**
   * The hidden-paths file of one AS in scionproto's format: the group, and for a writer the registration policy
   * that sends the down-segments of every interface to the group only (no {@code public}).
   */
  Map<String, Object> config(String ia, List<Interface> interfaces) {
    Map<String, Object> file = new LinkedHashMap<>();
    file.put("groups", Map.of(id, ConfigFiles.table("owner", owner, "writers", writers, "readers", readers,
        "registries", registries)));
    if (writers.contains(ia)) {
      Map<Integer, List<String>> policy = new LinkedHashMap<>();
      for (Interface itf : interfaces) {
        policy.put(itf.ifid(), List.of(id));
      }
      file.put("registration_policy_per_interface", policy);
    }
    return file;
  }
}
