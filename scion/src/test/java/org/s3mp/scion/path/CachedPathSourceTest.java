package org.s3mp.scion.path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import com.google.protobuf.Timestamp;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.s3mp.scion.IsdAs;
import org.s3mp.scion.ManualClock;
import org.s3mp.scion.ScionPath;
import org.s3mp.scion.TestPaths;
import org.s3mp.scion.daemon.DaemonClient;
import org.s3mp.scion.daemon.FakeDaemon;
import org.s3mp.scion.daemon.proto.Interface;
import org.s3mp.scion.daemon.proto.Path;
import org.s3mp.scion.daemon.proto.PathInterface;
import org.s3mp.scion.daemon.proto.Underlay;
import org.s3mp.scion.policy.PathPolicy;

class CachedPathSourceTest {
  static final IsdAs LOCAL = IsdAs.parse("1-ff00:0:111");
  static final IsdAs CORE = IsdAs.parse("1-ff00:0:110");
  static final IsdAs DST = IsdAs.parse("1-ff00:0:112");
  static final IsdAs OTHER = IsdAs.parse("1-ff00:0:113");
  static final InetSocketAddress NH = new InetSocketAddress("127.0.0.1", 31002);

  final ManualClock clock = new ManualClock(Instant.parse("2026-01-01T00:00:00Z"));
  /** The refresh flag of each lookup that reached the source, in order. */
  final List<Boolean> lookups = new CopyOnWriteArrayList<>();

  /** What the source answers (the test replaces it as the daemon would refresh its paths). */
  volatile List<ScionPath> served;

  CachedPathSource cache(List<ScionPath> paths) {
    served = paths;
    return new CachedPathSource((dst, refresh) -> {
      lookups.add(refresh);
      return served;
    }, clock, Duration.ofSeconds(60), Duration.ofMinutes(5), Duration.ofSeconds(1));
  }

  ScionPath path(Duration ttl) {
    return TestPaths.path("1-ff00:0:111 1>2 1-ff00:0:110 3>4 1-ff00:0:112", NH, List.of(), List.of(),
        clock.now.plus(ttl));
  }

  PathSelector selector(PathSource source) {
    return new PathSelector(source, PathPolicy.allowAll(), clock, Duration.ofSeconds(60), Duration.ofMinutes(5),
        Duration.ofSeconds(10), down -> {});
  }

  @Test
  void twoMetersInOneAsCostOneLookupUntilThePathsAreDueForRefresh() throws IOException {
    ScionPath a = path(Duration.ofMinutes(3));
    CachedPathSource cache = cache(List.of(a));
    PathSelector meter1 = selector(cache);
    PathSelector meter2 = selector(cache);
    assertThat(meter1.select(DST)).isEqualTo(a);
    assertThat(meter2.select(DST)).isEqualTo(a);
    assertThat(lookups).containsExactly(false);
    clock.advance(Duration.ofMinutes(2)); // 60 s before expiry: fetched again, once for both
    served = List.of(path(Duration.ofMinutes(3)));
    meter1.select(DST);
    meter2.compliantPaths(DST);
    assertThat(lookups).hasSize(2);
  }

  @Test
  void eachDestinationHasItsOwnEntry() throws IOException {
    CachedPathSource cache = cache(List.of(path(Duration.ofHours(1))));
    cache.paths(DST, false);
    cache.paths(OTHER, false);
    cache.paths(DST, false);
    assertThat(lookups).containsExactly(false, false);
  }

  @Test
  void forcedRefreshesOfManySelectorsWithinOneSecondAskTheSourceOnce() throws IOException {
    CachedPathSource cache = cache(List.of(path(Duration.ofHours(1))));
    cache.paths(DST, false);
    cache.paths(DST, true);
    cache.paths(DST, true); // another link found every path faulty just now: the fresh answer serves it too
    assertThat(lookups).containsExactly(false, true);
    clock.advance(Duration.ofSeconds(1));
    cache.paths(DST, true);
    assertThat(lookups).containsExactly(false, true, true);
  }

  @Test
  void aForcedRefreshThatFindsNoPathKeepsTheCachedOnesForTheSelectorsToProbe() throws IOException {
    ScionPath a = path(Duration.ofHours(1));
    CachedPathSource cache = cache(List.of(a));
    PathSelector meter = selector(cache);
    meter.reportTimeout(meter.select(DST));
    served = List.of(); // every uplink cut: the daemon dropped the paths over the interfaces reported down
    clock.advance(Duration.ofSeconds(2));
    assertThat(meter.select(DST)).as("the faulty path is probed again, not 'no path'").isEqualTo(a);
    assertThat(lookups).containsExactly(false, true);
    assertThat(cache.paths(DST, false)).containsExactly(a);
  }

  @Test
  void aNewLinkWhosePolicyRejectsTheCachedAnswerAsksTheSourceAgain() throws IOException {
    ScionPath via110 = path(Duration.ofHours(1));
    ScionPath via120 = TestPaths.path("1-ff00:0:111 5>6 1-ff00:0:120 7>8 1-ff00:0:112", NH, List.of(), List.of(),
        clock.now.plus(Duration.ofHours(1)));
    CachedPathSource cache = cache(List.of(via110)); // fetched while the link to 120 was down
    selector(cache).select(DST);
    served = List.of(via110, via120); // the link is back
    PathSelector not110 = new PathSelector(cache, PathPolicy.acl("not-110", "- 1-ff00:0:110", "+"), clock,
        Duration.ofSeconds(60), Duration.ofMinutes(5), Duration.ofSeconds(10), down -> {});
    assertThat(not110.select(DST)).isEqualTo(via120);
    assertThat(lookups).containsExactly(false, true);
  }

  @Test
  void aLookupThatFindsNoPathWhenNoneIsCachedFailsClosed() {
    CachedPathSource cache = cache(List.of());
    assertThatThrownBy(() -> selector(cache).select(DST)).hasMessageContaining("no path");
  }

  @Test
  void aFailedLookupIsNotCachedAndTheNextOneAsksAgain() throws IOException {
    List<ScionPath> paths = List.of(path(Duration.ofHours(1)));
    int[] calls = {0};
    CachedPathSource cache = new CachedPathSource((dst, refresh) -> {
      if (calls[0]++ == 0) {
        throw new IOException("daemon unreachable");
      }
      return paths;
    }, clock, Duration.ofSeconds(60), Duration.ofMinutes(5), Duration.ofSeconds(1));
    assertThatThrownBy(() -> cache.paths(DST, false)).hasMessageContaining("daemon unreachable");
    assertThat(cache.paths(DST, false)).isEqualTo(paths);
    assertThat(calls[0]).isEqualTo(2);
  }

  @Test
  void twoSelectorsFromTheDaemonShareOneLookup() throws Exception {
    Path proto = Path.newBuilder().setRaw(ByteString.copyFrom(new byte[] {1, 2, 3, 4}))
        .setInterface(Interface.newBuilder().setAddress(Underlay.newBuilder().setAddress("127.0.0.11:31002")))
        .addInterfaces(PathInterface.newBuilder().setIsdAs(LOCAL.toLong()).setId(1))
        .addInterfaces(PathInterface.newBuilder().setIsdAs(CORE.toLong()).setId(2))
        .addInterfaces(PathInterface.newBuilder().setIsdAs(CORE.toLong()).setId(3))
        .addInterfaces(PathInterface.newBuilder().setIsdAs(DST.toLong()).setId(4))
        .setMtu(1400).setExpiration(Timestamp.newBuilder().setSeconds(Instant.now().getEpochSecond() + 3600))
        .build();
    try (FakeDaemon d = new FakeDaemon(LOCAL.toLong()); DaemonClient c = d.client()) {
      d.pathsByDst.put(DST.toLong(), List.of(proto));
      CachedPathSource cache = new CachedPathSource((dst, refresh) -> c.paths(LOCAL, dst, refresh));
      PathSelector meter1 = PathSelector.create(c, cache, PathPolicy.allowAll());
      PathSelector meter2 = PathSelector.create(c, cache, PathPolicy.allowAll());
      assertThat(meter1.select(DST).hops()).isEqualTo(meter2.select(DST).hops());
      assertThat(d.pathCalls.get()).isEqualTo(1);
    }
  }
}
