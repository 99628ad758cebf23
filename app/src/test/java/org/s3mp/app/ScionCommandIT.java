package org.s3mp.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.s3mp.testbed.Testbed;

/** {@code s3mp scion showpaths|ping} as a user runs them, against the real SCION testbed. */
class ScionCommandIT {
  @TempDir static Path tmp;
  private static Testbed tb;
  private static String daemonA;

  @BeforeAll
  static void up() throws Exception {
    tb = Testbed.shared();
    var sa = tb.daemonAddress(tb.concentrator());
    daemonA = sa.getAddress().getHostAddress() + ":" + sa.getPort();
  }

  /** scionproto's JSON hop list (IA#IF ...) in the notation of showpaths' human output. */
  private static String bracketed(List<String> hops) {
    StringBuilder sb = new StringBuilder("[");
    for (int i = 0; i < hops.size(); i++) {
      String ia = hops.get(i).substring(0, hops.get(i).indexOf('#'));
      String itf = hops.get(i).substring(hops.get(i).indexOf('#') + 1);
      if (i == 0) {
        sb.append(ia).append(' ').append(itf);
      } else if (i % 2 == 1) {
        sb.append('>').append(itf).append(' ').append(ia);
      } else {
        sb.append(' ').append(itf);
      }
    }
    return sb.append(']').toString();
  }

  private static Set<String> hopLines(String out) {
    return out.lines().filter(l -> l.matches("\\[ *\\d+\\] Hops: \\[.*"))
        .map(l -> {
          int start = l.indexOf("Hops: [") + 6;
          return l.substring(start, l.indexOf(']', start) + 1);
        }).collect(Collectors.toSet());
  }

  @Test
  void showpathsListsTheSamePathsAsScionproto() throws Exception {
    // Right after start-up beaconing still adds paths: compare until both tools agree or the deadline passes.
    long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(60);
    Set<String> theirs;
    Cli.Result r;
    do {
      theirs = tb.showpaths(tb.concentrator(), tb.headEnd(), false).stream()
          .map(p -> bracketed(p.hops())).collect(Collectors.toSet());
      r = Cli.run("scion", "showpaths", tb.headEnd(), "--daemon", daemonA, "--extended");
      assertThat(r.exitCode()).as(r.err()).isZero();
    } while ((!hopLines(r.out()).equals(theirs) || theirs.size() < 2) && System.nanoTime() < deadline);
    assertThat(hopLines(r.out())).isEqualTo(theirs).hasSizeGreaterThanOrEqualTo(2);
    assertThat(r.out()).contains("Latency:", "Geo:", "MTU: ");
  }

  @Test
  void showpathsWithAnIsd1PolicyHidesIsd2() throws Exception {
    Path policy = tmp.resolve("isd1.yaml");
    Files.writeString(policy, "acl:\n  - \"- 2\"\n  - \"+\"\n");
    Cli.Result r = Cli.run("scion", "showpaths", tb.headEnd(), "--daemon", daemonA, "--policy", policy.toString());
    assertThat(r.exitCode()).as(r.err()).isZero();
    assertThat(hopLines(r.out())).isNotEmpty().noneMatch(l -> l.contains(" 2-"));

    Path none = tmp.resolve("isd3.json");
    Files.writeString(none, "{\"allowed_isds\": [3]}");
    Cli.Result closed = Cli.run("scion", "showpaths", tb.headEnd(), "--daemon", daemonA, "--policy", none.toString());
    assertThat(closed.exitCode()).isEqualTo(1);
    assertThat(closed.err()).contains("isd3").contains("complies").hasLineCount(1);
  }

  @Test
  void pingGetsReplies() throws Exception {
    String dst = tb.headEnd() + "," + tb.hostAddress(tb.headEnd()).getHostAddress();
    Cli.Result r = Cli.run("scion", "ping", dst, "--daemon", daemonA, "--count", "3", "--interval", "100");
    assertThat(r.exitCode()).as(r.out() + r.err()).isZero();
    assertThat(r.out()).contains("3 packets transmitted, 3 received, 0% packet loss");
  }

  @Test
  void pingWithEpicPassesTheRoutersChecksAndShowpathsSaysWhichPathsOfferIt() throws Exception {
    // scionproto's end host (the testbed's dispatcher) answers; the routers of the last two ASes verify our HVFs
    String dst = tb.headEnd() + "," + tb.hostAddress(tb.headEnd()).getHostAddress();
    Cli.Result r = Cli.run("scion", "ping", dst, "--daemon", daemonA, "--count", "3", "--interval", "100", "--epic");
    assertThat(r.exitCode()).as(r.out() + r.err()).isZero();
    assertThat(r.out()).contains("(EPIC-HP)").contains("3 packets transmitted, 3 received, 0% packet loss");
    Cli.Result paths = Cli.run("scion", "showpaths", tb.headEnd(), "--daemon", daemonA, "--epic", "--extended");
    assertThat(paths.exitCode()).as(paths.err()).isZero();
    assertThat(paths.out()).contains("with EPIC-HP").contains("SupportsEPIC: true").doesNotContain("SupportsEPIC: false");
  }
}
