package org.s3mp.scion.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.s3mp.scion.GeoCoordinates;
import org.s3mp.scion.IsdAs;
import org.s3mp.scion.ScionPath;
import org.s3mp.scion.TestPaths;

class PathPolicyTest {
  static final InetSocketAddress NH = new InetSocketAddress("127.0.0.1", 31002);
  static final IsdAs DST = IsdAs.parse("1-ff00:0:112");
  static final ScionPath VIA_110 = TestPaths.path("1-ff00:0:111 1>2 1-ff00:0:110 3>4 1-ff00:0:112", NH);
  static final ScionPath VIA_120 = TestPaths.path("1-ff00:0:111 5>6 1-ff00:0:120 7>8 1-ff00:0:112", NH);
  static final ScionPath VIA_210 =
      TestPaths.path("1-ff00:0:111 1>2 1-ff00:0:110 9>10 2-ff00:0:210 11>12 1-ff00:0:120 7>8 1-ff00:0:112", NH);
  static final List<ScionPath> ALL = List.of(VIA_210, VIA_110, VIA_120);

  @Test
  void aclInScionprotoSyntax() {
    assertThat(PathPolicy.acl("no-isd2", "- 2", "+").filter(ALL)).containsExactly(VIA_110, VIA_120);
    assertThat(PathPolicy.acl("only-110", "+ 1-ff00:0:111", "+ 1-ff00:0:112", "+ 1-ff00:0:110", "-").filter(ALL))
        .containsExactly(VIA_110);
    // interface pattern: deny the 110 core's interface 3 (either direction)
    assertThat(PathPolicy.acl("not-110#3", "- 1-ff00:0:110#3", "+").filter(ALL)).containsExactly(VIA_210, VIA_120);
    // two interfaces, as in scionproto: the first is matched against ingress, the second against egress
    // interfaces, each on its own (so VIA_210, entering 110 at 2, is denied too)
    assertThat(PathPolicy.acl("not-110#2,3", "- 1-ff00:0:110#2,3", "+").filter(ALL)).containsExactly(VIA_120);
    assertThat(PathPolicy.acl("not-110#5,9", "- 1-ff00:0:110#5,9", "+").filter(ALL)).containsExactly(VIA_110, VIA_120);
    assertThat(PathPolicy.acl("deny-all", "-").filter(ALL)).isEmpty();
    assertThat(PathPolicy.acl("allow-all", "+").filter(ALL)).containsExactlyElementsOf(ALL);
  }

  @Test
  void aclNeedsADefaultLast() {
    assertThatThrownBy(() -> PathPolicy.acl("x", "+ 1-ff00:0:110")).hasMessageContaining("no default entry");
    assertThatThrownBy(() -> PathPolicy.acl("x", "+", "- 2")).hasMessageContaining("after its default");
    assertThatThrownBy(() -> PathPolicy.acl("x", "* 2", "+")).hasMessageContaining("must start with + or -");
    assertThatThrownBy(() -> PathPolicy.acl("x", "- 1-0#2", "+")).hasMessageContaining("must be 0");
    assertThatThrownBy(() -> PathPolicy.acl("x", "- 1#2", "+")).hasMessageContaining("need an AS");
    assertThatThrownBy(() -> PathPolicy.acl("x", "- 1-ff00:0:110#a", "+")).hasMessageContaining("interface id");
  }

  @Test
  void geofenceByIsdAndAs() {
    PathPolicy isd1 = PathPolicy.builder("isd1").allowedIsds(1).build();
    assertThat(isd1.filter(ALL)).containsExactly(VIA_110, VIA_120);
    PathPolicy only110 = PathPolicy.builder("via-110").allowedAses(IsdAs.parse("1-ff00:0:110")).build();
    assertThat(only110.filter(ALL)).containsExactly(VIA_110);
  }

  @Test
  void geofenceByCountryFailsClosedOnUnknownLocation() {
    GeoCoordinates de = new GeoCoordinates(52f, 11f, "DE");
    GeoCoordinates ch = new GeoCoordinates(47f, 8f, "ch");
    Instant exp = Instant.now().plusSeconds(3600);
    ScionPath german = TestPaths.path("1-ff00:0:111 1>2 1-ff00:0:110 3>4 1-ff00:0:112", NH, List.of(),
        List.of(de, de, de, de), exp);
    ScionPath swiss = TestPaths.path("1-ff00:0:111 5>6 1-ff00:0:120 7>8 1-ff00:0:112", NH, List.of(),
        List.of(de, ch, ch, de), exp);
    ScionPath unknown = TestPaths.path("1-ff00:0:111 5>6 1-ff00:0:120 7>8 1-ff00:0:112", NH);
    PathPolicy deOnly = PathPolicy.builder("de-only").allowedCountries("de").build();
    assertThat(deOnly.filter(List.of(german, swiss, unknown))).containsExactly(german);
    PathPolicy deCh = PathPolicy.builder("de-ch").allowedCountries("DE", "CH").build();
    assertThat(deCh.filter(List.of(german, swiss, unknown))).containsExactly(german, swiss);
  }

  @Test
  void orderingByHopsAndLatency() {
    Instant exp = Instant.now().plusSeconds(3600);
    ScionPath slow = TestPaths.path("1-ff00:0:111 1>2 1-ff00:0:110 3>4 1-ff00:0:112", NH,
        List.of(Duration.ofMillis(30), Duration.ofMillis(1), Duration.ofMillis(30)), List.of(), exp);
    ScionPath fast = TestPaths.path("1-ff00:0:111 5>6 1-ff00:0:120 7>8 1-ff00:0:112", NH,
        List.of(Duration.ofMillis(5), Duration.ofMillis(1), Duration.ofMillis(5)), List.of(), exp);
    assertThat(PathPolicy.builder("lat").order(PathPolicy.Order.LATENCY).build().filter(List.of(VIA_210, slow, fast)))
        .containsExactly(fast, slow, VIA_210); // unknown latency last
    assertThat(PathPolicy.builder("hops").order(PathPolicy.Order.HOPS).build().filter(List.of(VIA_210, slow, fast)))
        .containsExactly(slow, fast, VIA_210);
  }

  @Test
  void sequence() {
    assertThat(PathPolicy.builder("s").sequence("1-ff00:0:111 1-ff00:0:110 1-ff00:0:112").build().filter(ALL))
        .containsExactly(VIA_110);
    assertThat(PathPolicy.builder("s").sequence("1-ff00:0:111 0* 1-ff00:0:112").build().filter(ALL))
        .containsExactlyElementsOf(ALL);
    assertThat(PathPolicy.builder("s").sequence("0 1-ff00:0:110|1-ff00:0:120 0").build().filter(ALL))
        .containsExactly(VIA_110, VIA_120);
    assertThat(PathPolicy.builder("s").sequence("0+ 2-0 0+").build().filter(ALL)).containsExactly(VIA_210);
    assertThat(PathPolicy.builder("s").sequence("1-ff00:0:111#1 0*").build().filter(ALL))
        .containsExactly(VIA_210, VIA_110);
    assertThat(PathPolicy.builder("s").sequence("0 1-ff00:0:120#6,7 0").build().filter(ALL)).containsExactly(VIA_120);
    assertThat(PathPolicy.builder("s").sequence("(0 0)? 0 0").build().filter(ALL)).isEmpty();
    assertThatThrownBy(() -> PathPolicy.builder("s").sequence("1-ff00:0:111 (0")).hasMessageContaining("missing ')'");
    assertThatThrownBy(() -> PathPolicy.builder("s").sequence("1-xyz")).hasMessageContaining("bad AS");
  }

  @Test
  void failsClosedNamingThePolicy() {
    PathPolicy p = PathPolicy.builder("isd-3-only").allowedIsds(3).build();
    assertThatThrownBy(() -> p.apply(DST, ALL)).isInstanceOf(NoCompliantPathException.class)
        .hasMessageContaining("isd-3-only").hasMessageContaining("1-ff00:0:112").hasMessageContaining("3 path(s)");
  }

  @Test
  void loadsJsonAndYaml(@TempDir Path dir) throws Exception {
    Path json = dir.resolve("isd1.json");
    Files.writeString(json, "{\"acl\": [\"- 2\", \"+\"], \"allowed_countries\": [], \"order\": \"hops\"}");
    PathPolicy pj = PathPolicy.load(json);
    assertThat(pj.name()).isEqualTo("isd1");
    Path yaml = dir.resolve("fence.yaml");
    Files.writeString(yaml, "name: isd-one\nallowed_isds: [1]\nacl:\n  - \"- 1-ff00:0:120\"\n  - \"+\"\norder: latency\n");
    PathPolicy py = PathPolicy.load(yaml);
    assertThat(py.name()).isEqualTo("isd-one");
    assertThat(py.filter(ALL)).containsExactly(VIA_110);
  }

  @Test
  void badFilesNameFileAndKey(@TempDir Path dir) throws Exception {
    Path f = dir.resolve("bad.json");
    Files.writeString(f, "{\"acls\": []}");
    assertThatThrownBy(() -> PathPolicy.load(f)).hasMessageContaining("bad.json").hasMessageContaining("'acls'");
    Files.writeString(f, "{\"allowed_isds\": [\"one\"]}");
    assertThatThrownBy(() -> PathPolicy.load(f)).hasMessageContaining("allowed_isds");
    Files.writeString(f, "{\"acl\": [\"+ 1-ff00:0:110\"]}");
    assertThatThrownBy(() -> PathPolicy.load(f)).hasMessageContaining("no default entry");
    Files.writeString(f, "{not json");
    assertThatThrownBy(() -> PathPolicy.load(f)).hasMessageContaining("cannot read");
    assertThatThrownBy(() -> PathPolicy.load(dir.resolve("missing.json"))).hasMessageContaining("missing.json");
  }

  @Test
  void theFileFormatIsStrict() {
    Map<String, String> bad = new java.util.LinkedHashMap<>();
    bad.put("{\"allowed_isds\": [\"1\"]}", "'allowed_isds'[0]");
    bad.put("{\"allowed_isds\": [1.5]}", "'allowed_isds'[0]");
    bad.put("{\"allowed_isds\": [0]}", "is not an ISD number");
    bad.put("{\"allowed_isds\": 1}", "'allowed_isds' has the wrong type (a list)");
    bad.put("{\"acl\": [\"+\", 2]}", "'acl'[1]");
    bad.put("{\"name\": true}", "'name'");
    bad.put("{\"order\": \"fastest\"}", "'order' cannot be fastest (hops, latency or daemon)");
    bad.put("{\"name\": \"a\", \"name\": \"b\"}", "cannot read it: Duplicate field 'name'");
    bad.put("{\"name\": \"a\"} {}", "cannot read it");
    bad.put("[1]", "must be an object");
    bad.put("{\"epic\": \"yes\"}", "'epic'");
    for (Map.Entry<String, String> b : bad.entrySet()) {
      assertThatThrownBy(() -> PathPolicy.parseJson(b.getKey(), "p")).as(b.getKey())
          .isInstanceOf(java.io.IOException.class).hasMessageContaining(b.getValue());
    }
  }

  @Test
  void theOrderOfAFileIsApplied() throws Exception {
    // VIA_210 has more hops than the two others and comes first from the daemon
    assertThat(PathPolicy.parseJson("{\"order\": \"hops\"}", "p").apply(DST, ALL).get(0)).isNotEqualTo(VIA_210);
    assertThat(PathPolicy.parseJson("{}", "p").apply(DST, ALL)).containsExactlyElementsOf(ALL);
  }

  @Test
  void epicKeepsOnlyPathsThatOfferItAndSaysSo() throws Exception {
    ScionPath epic110 = VIA_110.withEpicAuths(new org.s3mp.scion.EpicAuths(new byte[16], new byte[16]));
    List<ScionPath> paths = List.of(VIA_210, epic110, VIA_120);
    PathPolicy p = PathPolicy.parseJson("{\"epic\": true}", "hp");
    assertThat(p.epic()).isTrue();
    assertThat(p.apply(DST, paths)).containsExactly(epic110);
    assertThat(p.allows(ScionPath.local(DST, 1400, Instant.now()))).as("inside the AS no router checks").isTrue();
    assertThatThrownBy(() -> p.apply(DST, List.of(VIA_110, VIA_120))).isInstanceOf(NoCompliantPathException.class)
        .hasMessageContaining("'hp'").hasMessageContaining("no known path offers EPIC authenticators");
    PathPolicy plain = PathPolicy.parseJson("{\"epic\": false, \"allowed_isds\": [1]}", "p");
    assertThat(plain.epic()).isFalse();
    assertThat(plain.apply(DST, paths)).containsExactly(epic110, VIA_120);
    PathPolicy both = plain.withEpic();
    assertThat(both.epic()).isTrue();
    assertThat(both.allowedIsds()).containsExactly(1);
    assertThat(both.apply(DST, paths)).containsExactly(epic110);
    assertThat(PathPolicy.allowAll().epic()).isFalse();
  }
}
