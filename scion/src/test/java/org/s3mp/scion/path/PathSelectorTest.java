package org.s3mp.scion.path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.s3mp.scion.IsdAs;
import org.s3mp.scion.ManualClock;
import org.s3mp.scion.ScionPath;
import org.s3mp.scion.TestPaths;
import org.s3mp.scion.packet.ScmpMessage;
import org.s3mp.scion.policy.NoCompliantPathException;
import org.s3mp.scion.policy.PathPolicy;

class PathSelectorTest {
  static final IsdAs DST = IsdAs.parse("1-ff00:0:112");
  static final InetSocketAddress NH = new InetSocketAddress("127.0.0.1", 31002);

  /** A clock the test moves by hand. */
  final ManualClock clock = new ManualClock(Instant.parse("2026-01-01T00:00:00Z"));
  final AtomicInteger fetches = new AtomicInteger();
  final CopyOnWriteArrayList<Boolean> refreshFlags = new CopyOnWriteArrayList<>();
  final CopyOnWriteArrayList<ScmpMessage.ExternalInterfaceDown> notified = new CopyOnWriteArrayList<>();

  ScionPath p(String spec, Duration ttl) {
    return TestPaths.path(spec, NH, List.of(), List.of(), clock.now.plus(ttl));
  }

  PathSelector selector(PathPolicy policy, List<ScionPath> paths) {
    return new PathSelector((dst, refresh) -> {
      fetches.incrementAndGet();
      refreshFlags.add(refresh);
      return paths;
    }, policy, clock, Duration.ofSeconds(60), Duration.ofMinutes(5), Duration.ofSeconds(10), notified::add);
  }

  @Test
  void cachesPerDestinationAndRefreshesBeforeExpiry() throws IOException {
    ScionPath a = p("1-ff00:0:111 1>2 1-ff00:0:110 3>4 1-ff00:0:112", Duration.ofMinutes(3));
    PathSelector s = selector(PathPolicy.allowAll(), List.of(a));
    assertThat(s.select(DST)).isEqualTo(a);
    assertThat(s.select(DST)).isEqualTo(a);
    assertThat(fetches.get()).isEqualTo(1);
    clock.now = clock.now.plus(Duration.ofMinutes(2)); // 60 s before expiry: fetch again
    s.select(DST);
    assertThat(fetches.get()).isEqualTo(2);
    assertThat(s.current(DST)).contains(a);
  }

  @Test
  void scmpExternalInterfaceDownFailsOverAndReprobesLater() throws IOException {
    ScionPath via110 = p("1-ff00:0:111 1>2 1-ff00:0:110 3>4 1-ff00:0:112", Duration.ofHours(6));
    ScionPath via120 = p("1-ff00:0:111 5>6 1-ff00:0:120 7>8 1-ff00:0:112", Duration.ofHours(6));
    PathSelector s = selector(PathPolicy.allowAll(), List.of(via110, via120));
    assertThat(s.select(DST)).isEqualTo(via110);
    s.accept(new ScmpMessage.ExternalInterfaceDown(0, IsdAs.parse("1-ff00:0:110"), 3, new byte[0]));
    assertThat(s.isFaulty(via110)).isTrue();
    assertThat(s.select(DST)).isEqualTo(via120);
    assertThat(notified).hasSize(1); // the daemon hears about it too
    clock.now = clock.now.plusSeconds(11); // re-probe the preferred path
    assertThat(s.select(DST)).isEqualTo(via110);
  }

  @Test
  void afterATimeoutThePathThatSharesNoLinkWithTheFailedOneIsNext() throws IOException {
    // the failed uplink 110#3 > 112 is also used by the second path in order; the third is disjoint
    ScionPath via110 = p("1-ff00:0:111 1>2 1-ff00:0:110 3>4 1-ff00:0:112", Duration.ofHours(6));
    ScionPath via120to110 = p("1-ff00:0:111 5>6 1-ff00:0:120 7>8 1-ff00:0:110 3>4 1-ff00:0:112", Duration.ofHours(6));
    ScionPath via130 = p("1-ff00:0:111 9>10 1-ff00:0:130 11>12 1-ff00:0:112", Duration.ofHours(6));
    PathSelector s = selector(PathPolicy.allowAll(), List.of(via110, via120to110, via130));
    assertThat(s.select(DST)).isEqualTo(via110);
    s.reportTimeout(via110);
    assertThat(s.select(DST)).isEqualTo(via130);
    // when the disjoint one fails too, the remaining path in order is still used
    s.reportTimeout(via130);
    assertThat(s.select(DST)).isEqualTo(via120to110);
    // repaired: back to the preferred path
    s.reportSuccess(via110);
    s.reportSuccess(via130);
    assertThat(s.select(DST)).isEqualTo(via110);
  }

  @Test
  void scmpForAnotherLinkChangesNothing() throws IOException {
    ScionPath via110 = p("1-ff00:0:111 1>2 1-ff00:0:110 3>4 1-ff00:0:112", Duration.ofHours(6));
    PathSelector s = selector(PathPolicy.allowAll(), List.of(via110));
    s.select(DST);
    s.accept(new ScmpMessage.ExternalInterfaceDown(0, IsdAs.parse("1-ff00:0:120"), 3, new byte[0]));
    s.accept(new ScmpMessage.InternalConnectivityDown(0, IsdAs.parse("1-ff00:0:110"), 2, 9, new byte[0]));
    assertThat(s.isFaulty(via110)).isFalse();
    s.accept(new ScmpMessage.InternalConnectivityDown(0, IsdAs.parse("1-ff00:0:110"), 2, 3, new byte[0]));
    assertThat(s.isFaulty(via110)).isTrue();
  }

  @Test
  void timeoutsFailOverAndSuccessHeals() throws IOException {
    ScionPath via110 = p("1-ff00:0:111 1>2 1-ff00:0:110 3>4 1-ff00:0:112", Duration.ofHours(6));
    ScionPath via120 = p("1-ff00:0:111 5>6 1-ff00:0:120 7>8 1-ff00:0:112", Duration.ofHours(6));
    PathSelector s = selector(PathPolicy.allowAll(), List.of(via110, via120));
    s.reportTimeout(s.select(DST));
    assertThat(s.select(DST)).isEqualTo(via120);
    s.reportTimeout(via120);
    // Both faulty: the daemon is asked for fresh paths, then the least recently failed one is probed.
    clock.now = clock.now.plusSeconds(2);
    assertThat(s.select(DST)).isEqualTo(via110);
    assertThat(refreshFlags).contains(true);
    s.reportSuccess(via110);
    assertThat(s.isFaulty(via110)).isFalse();
  }

  @Test
  void whenTheDaemonForgetsEveryPathTheFaultyOnesAreStillProbed() throws IOException {
    ScionPath via110 = p("1-ff00:0:111 1>2 1-ff00:0:110 3>4 1-ff00:0:112", Duration.ofHours(6));
    List<ScionPath> served = new CopyOnWriteArrayList<>(List.of(via110));
    PathSelector s = selector(PathPolicy.allowAll(), served);
    s.reportTimeout(s.select(DST));
    served.clear(); // both uplinks reported down: the daemon drops their paths
    clock.now = clock.now.plusSeconds(2);
    assertThat(s.select(DST)).isEqualTo(via110);
    assertThat(refreshFlags).containsExactly(false, true);
  }

  @Test
  void neverLeavesThePolicyEvenWhenCompliantPathsFail() throws IOException {
    ScionPath via110 = p("1-ff00:0:111 1>2 1-ff00:0:110 3>4 1-ff00:0:112", Duration.ofHours(6));
    ScionPath viaIsd2 = p("1-ff00:0:111 1>2 1-ff00:0:110 9>10 2-ff00:0:210 11>12 1-ff00:0:120 7>8 1-ff00:0:112",
        Duration.ofHours(6));
    PathSelector s = selector(PathPolicy.acl("isd1-only", "- 2", "+"), List.of(viaIsd2, via110));
    for (int i = 0; i < 5; i++) {
      ScionPath chosen = s.select(DST);
      assertThat(chosen.isdAses()).allMatch(ia -> ia.isd() == 1);
      s.reportTimeout(chosen);
      clock.now = clock.now.plusSeconds(2);
    }
  }

  @Test
  void noCompliantPathFailsClosed() {
    ScionPath viaIsd2 = p("1-ff00:0:111 1>2 1-ff00:0:110 9>10 2-ff00:0:210 11>12 1-ff00:0:120 7>8 1-ff00:0:112",
        Duration.ofHours(6));
    PathSelector s = selector(PathPolicy.acl("isd1-only", "- 2", "+"), List.of(viaIsd2));
    assertThatThrownBy(() -> s.select(DST)).isInstanceOf(NoCompliantPathException.class)
        .hasMessageContaining("isd1-only");
  }

  @Test
  void expiredPathsAreNeverUsed() {
    ScionPath old = p("1-ff00:0:111 1>2 1-ff00:0:110 3>4 1-ff00:0:112", Duration.ofSeconds(-1));
    PathSelector s = selector(PathPolicy.allowAll(), List.of(old));
    assertThatThrownBy(() -> s.select(DST)).isInstanceOf(NoCompliantPathException.class);
  }
}
