package org.s3mp.testbed;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.s3mp.testbed.ProcessSupervisor.Entry;
import org.s3mp.testbed.TopologySpec.Interface;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Link faults on purpose: a link is cut by freezing (SIGSTOP) the border router at its far end, told apart from a
 * dead one through {@code /proc}, and the routers' BFD state (their metrics) says when the network noticed.
 */
final class LinkFaults {
  private static final Logger log = LoggerFactory.getLogger(LinkFaults.class);
  private static final Duration FROZEN_POLL = Duration.ofMillis(5);
  static final Duration HEALTH_POLL = Duration.ofMillis(100);

  private final TopologySpec topo;
  private final ProcessSupervisor supervisor;
  private final RouterHealth health = new RouterHealth();
  private final Path runDir;

  LinkFaults(TopologySpec topo, ProcessSupervisor supervisor, Path runDir) {
    this.topo = topo;
    this.supervisor = supervisor;
    this.runDir = runDir;
  }

  /** See {@link Testbed#linkDown}. */
  void down(Interface itf) throws IOException {
    Entry router = routerOf(topo.peerOf(itf));
    ProcessSupervisor.signal(router, "STOP");
    Await.until(router.name() + " stopped", Duration.ofSeconds(5), FROZEN_POLL,
        () -> frozen(router) ? null : "still running");
    Await.until("BFD of " + itf + " down", Duration.ofSeconds(10), HEALTH_POLL,
        () -> health.state(metricsAddress(itf)).linkUp() ? "still up" : null);
    log.info("link {} - {} is down", itf, topo.peerOf(itf));
  }

  /** See {@link Testbed#linkUp}. */
  void up(Interface itf) throws IOException {
    Entry router = routerOf(topo.peerOf(itf));
    ProcessSupervisor.signal(router, "CONT");
    Await.until(router.name() + " continued", Duration.ofSeconds(5), FROZEN_POLL,
        () -> frozen(router) ? "still stopped" : null);
    Await.until("BFD up on every link after restoring " + itf, Duration.ofSeconds(20), HEALTH_POLL,
        this::routerProblems);
    log.info("link {} - {} is up", itf, topo.peerOf(itf));
  }

  /** Whether a link is cut (either of its routers frozen). */
  boolean isDown(Interface itf) throws IOException {
    return frozen(routerOf(itf)) || frozen(routerOf(topo.peerOf(itf)));
  }

  private Entry routerOf(Interface itf) throws IOException {
    topo.linkAt(itf);
    String name = "router " + itf;
    return supervisor.entries().stream()
        .filter(e -> e.name().equals(name))
        .findFirst()
        .orElseThrow(() -> new IOException("no router process for " + itf + " in " + runDir));
  }

  /** See {@link Testbed#routerDroppedInvalid}. */
  long droppedInvalid(Interface itf) throws IOException {
    return health.droppedInvalid(metricsAddress(itf));
  }

  private String metricsAddress(Interface itf) {
    return ScionConfigWriter.routerMetricsAddr(topo.as(itf.ia()), itf);
  }

  /**
   * What keeps the routers from forwarding, or null when every BFD session is up: of each link not cut on
   * purpose, and between each router and its running siblings.
   */
  String routerProblems() throws IOException {
    List<Interface> all = new ArrayList<>();
    topo.ases().keySet().forEach(ia -> all.addAll(topo.interfacesOf(ia)));
    List<String> frozenIds = new ArrayList<>();
    for (Interface itf : all) {
      if (frozen(routerOf(itf))) {
        frozenIds.add(ScionConfigWriter.routerId(itf));
      }
    }
    List<String> problems = new ArrayList<>();
    for (Interface itf : all) {
      if (frozenIds.contains(ScionConfigWriter.routerId(itf))) {
        continue;
      }
      RouterHealth.State st = health.state(metricsAddress(itf));
      if (st.error() != null) {
        problems.add("router " + itf + ": " + st.error());
      } else if (!st.linkUp() && !isDown(itf)) {
        problems.add("link " + itf + " BFD down");
      }
      st.unreachableSiblings().stream().filter(id -> !frozenIds.contains(id))
          .forEach(id -> problems.add("router " + itf + " does not reach its sibling " + id));
    }
    return problems.isEmpty() ? null : String.join("; ", problems);
  }

  private static boolean frozen(Entry e) throws IOException {
    if (!ProcessSupervisor.alive(e)) {
      return false;
    }
    String stat = Files.readString(Path.of("/proc", Long.toString(e.pid()), "stat"));
    // the state is the first field after the parenthesised command name
    String state = stat.substring(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return "T".equals(state) || "t".equals(state);
  }
}
