package org.s3mp.testbed;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.s3mp.testbed.TopologySpec.Interface;

class TopologySpecTest {

  @Test
  void defaultTopologyIsThePaperTopologyPlusAForeignIsd() {
    TopologySpec t = TopologySpec.defaultTopology();
    assertThat(t.asWithRole(TopologySpec.Role.CONCENTRATOR)).isEqualTo("1-ff00:0:111");
    assertThat(t.asWithRole(TopologySpec.Role.HEAD_END)).isEqualTo("1-ff00:0:112");
    assertThat(t.interfacesOf("1-ff00:0:111")).extracting(Interface::ifid).containsExactly(1, 2);
    // the concentrator's two uplinks go to two different cores: link-disjoint paths exist
    assertThat(t.peerOf(Interface.parse("1-ff00:0:111#1")).ia()).isEqualTo("1-ff00:0:110");
    assertThat(t.peerOf(Interface.parse("1-ff00:0:111#2")).ia()).isEqualTo("1-ff00:0:120");
    assertThat(t.ases().keySet()).anyMatch(ia -> ia.startsWith("2-"));
    assertThat(t.ases().values()).allMatch(as -> as.geo() != null && as.geo().country() != null);
  }

  @Test
  void loopbackBlockMovesEveryAddress() {
    TopologySpec moved = TopologySpec.defaultTopology().withLoopbackBlock(7);
    assertThat(moved.as("1-ff00:0:111").ip()).isEqualTo("127.7.111.1");
    assertThat(moved.ases().values()).allMatch(as -> as.ip().startsWith("127.7."));
  }

  @Test
  void rejectsBrokenTopologiesWithAClearReason(@TempDir Path dir) throws IOException {
    assertRejected(dir, """
        ases:
          "1-ff00:0:110": {role: core, ip: 10.0.0.1}
        """, "loopback");
    assertRejected(dir, """
        ases:
          "1-ff00:0:110": {role: core, ip: 127.0.0.5}
          "1-ff00:0:111": {role: leaf, ip: 127.0.0.5}
        """, "share the ip");
    assertRejected(dir, """
        ases:
          "1-ff00:0:110": {role: core, ip: 127.0.0.5}
        links:
          - {a: "1-ff00:0:110#1", b: "1-ff00:0:999#1", type: child}
        """, "unknown AS 1-ff00:0:999");
    assertRejected(dir, """
        ases:
          "1-ff00:0:110": {role: core, ip: 127.0.0.5}
          "1-ff00:0:111": {role: leaf, ip: 127.0.0.6}
        links:
          - {a: "1-ff00:0:110#1", b: "1-ff00:0:111#1", type: core}
        """, "must join two core ASes");
    assertRejected(dir, """
        ases:
          "1-ff00:0:111": {role: leaf, ip: 127.0.0.6}
        """, "ISD 1 has no core AS");
    assertRejected(dir, """
        ases:
          "bogus": {role: core, ip: 127.0.0.6}
        """, "not an ISD-AS");
    assertRejected(dir, """
        ases:
          "1-ff00:0:110": {role: core, ip: 127.0.0.5, colour: red}
        """, "colour");
  }

  private static void assertRejected(Path dir, String yaml, String reason) throws IOException {
    Path f = Files.writeString(dir.resolve("topo.yaml"), yaml);
    assertThatThrownBy(() -> TopologySpec.load(f)).isInstanceOf(IOException.class).hasMessageContaining(reason);
  }

  @Test
  void interfaceSyntax() {
    assertThat(Interface.parse("1-ff00:0:111#2")).isEqualTo(new Interface("1-ff00:0:111", 2));
    for (String bad : List.of("1-ff00:0:111", "1-ff00:0:111#", "1-ff00:0:111#x", "#1", "")) {
      assertThatThrownBy(() -> Interface.parse(bad)).isInstanceOf(IllegalArgumentException.class);
    }
    assertThatThrownBy(() -> TopologySpec.defaultTopology().linkAt(Interface.parse("1-ff00:0:111#9")))
        .hasMessageContaining("has no interface 9");
  }

  @Test
  void goDurations() {
    assertThat(GoDuration.parse("12ms")).isEqualTo(Duration.ofMillis(12));
    assertThat(GoDuration.parse("1.5s")).isEqualTo(Duration.ofMillis(1500));
    assertThat(GoDuration.parse("250us")).isEqualTo(Duration.ofNanos(250_000));
    assertThatThrownBy(() -> GoDuration.parse("12 parsecs")).isInstanceOf(IllegalArgumentException.class);
  }
}
