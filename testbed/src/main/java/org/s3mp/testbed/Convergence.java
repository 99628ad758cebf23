package org.s3mp.testbed;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.s3mp.testbed.TopologySpec.Interface;

/**
 * When a freshly started testbed is ready: its routers' BFD sessions up and beaconing converged, judged by
 * probed paths from scionproto's own tool over every pair of uplinks (the disjoint paths failover relies on).
 */
final class Convergence {
  private final Testbed tb;
  private final TopologySpec topo;
  private final LinkFaults faults;
  private final ScionTools tools;

  Convergence(Testbed tb, TopologySpec topo, LinkFaults faults, ScionTools tools) {
    this.tb = tb;
    this.topo = topo;
    this.faults = faults;
    this.tools = tools;
  }

  /**
   * Waits for a network that forwards: every router's BFD sessions (links and siblings) up, and probed paths
   * between the concentrator and the head-end in both directions, all alive, including those through other ISDs
   * where the topology has them (core beaconing brings those a few seconds after the first paths).
   */
  void awaitForwarding(Duration timeout, Consumer<String> progress) throws IOException {
    long deadline = System.nanoTime() + timeout.toNanos();
    Await.until("BFD up on every link", timeout, LinkFaults.HEALTH_POLL, () -> {
      tb.checkAlive();
      return faults.routerProblems();
    });
    progress.accept("every link's BFD session is up; waiting for paths in both directions");
    String a = tb.concentrator();
    String b = tb.headEnd();
    boolean foreign = topo.ases().keySet().stream().map(TopologySpec::isd).distinct().count() > 1;
    Duration left = Duration.ofNanos(Math.max(0, deadline - System.nanoTime()));
    Await.until("working paths between " + a + " and " + b + (foreign ? " (also through other ISDs)" : ""),
        left, Duration.ofMillis(500), () -> {
          tb.checkAlive();
          String ab = pathProblem(a, b, foreign);
          return ab != null ? ab : pathProblem(b, a, foreign);
        });
  }

  /**
   * Each pair of an uplink of {@code src} and one of {@code dst} whose parent cores are connected by core links:
   * beaconing has converged once a path over every such pair exists (the disjoint paths failover relies on).
   */
  private List<Interface[]> uplinkPairs(String src, String dst) {
    List<Interface[]> pairs = new ArrayList<>();
    for (Interface up : uplinks(src)) {
      for (Interface down : uplinks(dst)) {
        if (coresConnected(topo.peerOf(up).ia(), topo.peerOf(down).ia())) {
          pairs.add(new Interface[] {up, down});
        }
      }
    }
    return pairs;
  }

  /** The interfaces of {@code ia} towards a core parent. */
  private List<Interface> uplinks(String ia) {
    return topo.interfacesOf(ia).stream()
        .filter(itf -> !topo.linkAt(itf).core() && Interface.parse(topo.linkAt(itf).b()).equals(itf)
            && topo.as(topo.peerOf(itf).ia()).core())
        .toList();
  }

  private boolean coresConnected(String a, String b) {
    List<String> seen = new ArrayList<>(List.of(a));
    for (int i = 0; i < seen.size(); i++) {
      for (Interface itf : topo.interfacesOf(seen.get(i))) {
        String next = topo.peerOf(itf).ia();
        if (topo.linkAt(itf).core() && !seen.contains(next)) {
          seen.add(next);
        }
      }
    }
    return seen.contains(b);
  }

  private String pathProblem(String src, String dst, boolean foreign) {
    List<Testbed.ScionPath> paths;
    try {
      paths = tools.showpaths(src, dst, true);
    } catch (IOException notYet) {
      return notYet.getMessage();
    }
    if (paths.isEmpty()) {
      return "no path from " + src + " to " + dst + " yet";
    }
    List<Testbed.ScionPath> dead = paths.stream().filter(p -> !p.alive()).toList();
    if (!dead.isEmpty()) {
      return dead.size() + " of " + paths.size() + " paths from " + src + " to " + dst + " not alive yet";
    }
    for (Interface[] pair : uplinkPairs(src, dst)) {
      if (paths.stream().noneMatch(p -> p.hops().get(0).equals(pair[0].toString())
          && p.hops().get(p.hops().size() - 1).equals(pair[1].toString()))) {
        return "no path from " + src + " to " + dst + " over " + pair[0] + " and " + pair[1] + " yet";
      }
    }
    int isd = TopologySpec.isd(src);
    if (foreign && paths.stream().noneMatch(p -> p.ases().stream().anyMatch(ia -> TopologySpec.isd(ia) != isd))) {
      return "no path from " + src + " to " + dst + " through another ISD yet";
    }
    return null;
  }
}
