package org.s3mp.testbed;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.s3mp.testbed.Testbed.ScionPath;
import org.s3mp.testbed.TopologySpec.Interface;

/** The real scionproto network: comes up from scratch, has the paths we need, links can be cut, stops clean. */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class TestbedIT {
  private static Testbed tb;
  private static LoopbackBlock block;
  private static List<Long> pids;

  @BeforeAll
  static void up() throws IOException {
    Path dir = S3mpHome.dir().resolve("run").resolve("testbed-it");
    Testbed.attach(dir).ifPresent(stale -> {
      try {
        stale.stop();
      } catch (IOException e) {
        throw new RuntimeException(e);
      }
    });
    long t0 = System.nanoTime();
    block = LoopbackBlock.claim();
    tb = Testbed.start(Testbed.options(dir).withTopology(block.topology()));
    System.out.printf("testbed up (first paths) in %.1f s%n", (System.nanoTime() - t0) / 1e9);
    pids = tb.processes().stream().map(Testbed.ProcessStatus::pid).toList();
  }

  @AfterAll
  static void down() throws IOException {
    if (tb != null) {
      tb.stop();
    }
    if (block != null) {
      block.close();
    }
  }

  @Test
  @Order(1)
  void everyProcessRunsOnItsOwnAddresses() throws IOException {
    assertThat(tb.processes()).hasSize(34).allMatch(Testbed.ProcessStatus::running);
    // connections to an AS's address leave from that address (DRKey host keys depend on it)
    try (java.net.Socket s = new java.net.Socket(tb.hostAddress(tb.concentrator()), ScionConfigWriter.CS_PORT)) {
      assertThat(s.getLocalAddress()).isEqualTo(tb.hostAddress(tb.concentrator()));
    }
    assertThat(tb.daemonAddress(tb.concentrator()).getAddress().getHostAddress()).isEqualTo("127." + block.number() + ".111.1");
  }

  @Test
  @Order(2)
  void aSecondStartInTheSameFolderIsRefused() {
    assertThatThrownBy(() -> Testbed.start(Testbed.options(tb.runDir())))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("already running");
  }

  @Test
  @Order(3)
  void leavesHaveTwoLinkDisjointPathsAndPathsViaIsd2() throws IOException {
    List<ScionPath> paths = awaitPaths(ps -> disjointPair(ps) && ps.stream().anyMatch(TestbedIT::viaIsd2));
    assertThat(paths).filteredOn(ScionPath::alive).hasSizeGreaterThanOrEqualTo(2);
    assertThat(paths).anyMatch(TestbedIT::viaIsd2);
    // metadata from staticInfoConfig.json reaches the paths
    assertThat(tb.showpaths(tb.headEnd(), tb.concentrator(), true)).anyMatch(ScionPath::alive);
  }

  @Test
  @Order(4)
  void aCutLinkStopsItsPathsAndOthersKeepWorking() throws IOException {
    String dst = tb.headEnd() + "," + tb.hostAddress(tb.headEnd()).getHostAddress();
    String viaLte = tb.concentrator() + "#1 0*";
    String viaLeased = tb.concentrator() + "#2 0*";
    assertThat(awaitPing(dst, viaLte, true)).isTrue();

    Interface lte = Interface.parse(tb.concentrator() + "#1");
    tb.linkDown(lte);
    assertThat(tb.isLinkDown(lte)).isTrue();
    assertThat(tb.ping(tb.concentrator(), dst, 2, viaLte)).isFalse();
    assertThat(tb.ping(tb.concentrator(), dst, 2, viaLeased)).isTrue();

    tb.linkUp(lte);
    assertThat(tb.isLinkDown(lte)).isFalse();
    assertThat(awaitPing(dst, viaLte, true)).isTrue();
  }

  @Test
  @Order(5)
  void downLeavesNoProcessBehind() throws IOException {
    tb.stop();
    assertThat(pids).isNotEmpty().allSatisfy(pid ->
        assertThat(ProcessHandle.of(pid).filter(ProcessHandle::isAlive)).as("pid %d", pid).isEmpty());
    assertThat(Testbed.attach(tb.runDir())).isEmpty();
    // the loopback source routes (for DRKey) are gone too
    String routes = Commands.run(java.util.List.of("ip", "route", "show", "table", "local"), null, Duration.ofSeconds(5));
    assertThat(routes).doesNotContain("127." + block.number() + ".");
    tb = null;
  }

  private static boolean viaIsd2(ScionPath p) {
    return p.alive() && p.ases().stream().anyMatch(ia -> ia.startsWith("2-"));
  }

  private static boolean disjointPair(List<ScionPath> ps) {
    List<ScionPath> alive = ps.stream().filter(ScionPath::alive).toList();
    for (int i = 0; i < alive.size(); i++) {
      for (int j = i + 1; j < alive.size(); j++) {
        Set<String> common = new HashSet<>(alive.get(i).hops());
        common.retainAll(alive.get(j).hops());
        if (common.isEmpty()) {
          return true;
        }
      }
    }
    return false;
  }

  private static List<ScionPath> awaitPaths(java.util.function.Predicate<List<ScionPath>> done) throws IOException {
    long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
    List<ScionPath> last = List.of();
    while (System.nanoTime() < deadline) {
      last = tb.showpaths(tb.concentrator(), tb.headEnd(), true);
      if (done.test(last)) {
        return last;
      }
    }
    throw new AssertionError("paths never satisfied the condition; last: " + last);
  }

  /** Pings until the expected outcome or a deadline (a restored link needs BFD to come back up). */
  private static boolean awaitPing(String dst, String sequence, boolean expect) throws IOException {
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (System.nanoTime() < deadline) {
      if (tb.ping(tb.concentrator(), dst, 1, sequence) == expect) {
        return expect;
      }
    }
    return !expect;
  }
}
