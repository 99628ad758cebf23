package org.s3mp.testbed;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.s3mp.testbed.TopologySpec.Interface;

class ScionConfigWriterTest {
  private final TopologySpec topo = TopologySpec.defaultTopology();
  private final ScionConfigWriter w = new ScionConfigWriter(topo, Path.of("/tmp/gen"), null);

  @Test
  void oneBorderRouterPerInterfaceWithMatchingUnderlays() {
    // the concentrator's uplink 1 ends at core 110's interface 1: each side's remote is the other's local
    var local = topo.as("1-ff00:0:111");
    var remote = topo.as("1-ff00:0:110");
    Interface a = Interface.parse("1-ff00:0:111#1");
    Interface b = Interface.parse("1-ff00:0:110#1");
    assertThat(ScionConfigWriter.underlayAddr(local, a)).isEqualTo("127.0.111.1:50001");
    assertThat(ScionConfigWriter.underlayAddr(remote, b)).isEqualTo("127.0.110.1:50001");
    assertThat(ScionConfigWriter.routerInternalAddr(local, a)).isNotEqualTo(
        ScionConfigWriter.routerInternalAddr(local, Interface.parse("1-ff00:0:111#2")));
    assertThat(ScionConfigWriter.fileName("1-ff00:0:111")).isEqualTo("ASff00_0_111");
  }

  @Test
  void processesStartInfrastructureInOrder() {
    List<ScionConfigWriter.ProcessSpec> specs = w.processes(ScionBinaries.at(Path.of("/opt/scion")));
    assertThat(specs).hasSize(6 + 16 + 6 + 6);
    assertThat(specs.get(0).name()).startsWith("dispatcher");
    assertThat(specs.get(specs.size() - 1).name()).startsWith("daemon");
    assertThat(specs).filteredOn(s -> s.itf() != null).hasSize(16);
  }

  @Test
  void daemonAddressIsOnTheAsOwnLoopbackAddress() {
    assertThat(w.daemonAddress("1-ff00:0:112")).isEqualTo("127.0.112.1:30255");
  }

  @Test
  void topologyJsonDeclaresLinkDirectionsFromEachSide() {
    JsonNode child = topologyJson("1-ff00:0:111");
    JsonNode parent = topologyJson("1-ff00:0:110");
    assertThat(child.at("/border_routers/br1-ff00_0_111-1/interfaces/1/link_to").asText()).isEqualTo("parent");
    assertThat(parent.at("/border_routers/br1-ff00_0_110-1/interfaces/1/link_to").asText()).isEqualTo("child");
    assertThat(parent.at("/border_routers/br1-ff00_0_110-3/interfaces/3/link_to").asText()).isEqualTo("core");
    assertThat(parent.at("/attributes/0").asText()).isEqualTo("core");
    assertThat(child.at("/attributes").size()).isZero();
    assertThat(child.at("/border_routers/br1-ff00_0_111-1/interfaces/1/underlay/remote").asText())
        .isEqualTo(parent.at("/border_routers/br1-ff00_0_110-1/interfaces/1/underlay/local").asText());
  }

  @Test
  void hiddenPathsRegisterTheConcentratorsDownSegmentsOnlyInTheHeadEndsGroup() {
    HiddenPathGroup g = HiddenPathGroup.of(topo);
    assertThat(g.id()).isEqualTo("ff00:0:112-1");
    assertThat(g.owner()).isEqualTo("1-ff00:0:112");
    assertThat(g.writers()).containsExactly("1-ff00:0:111");
    assertThat(g.readers()).containsExactly("1-ff00:0:112").isEqualTo(g.registries());
    ScionConfigWriter hidden = new ScionConfigWriter(topo, Path.of("/tmp/gen"), null, g);
    String concentrator = "1-ff00:0:111";
    String yaml = g.yaml(concentrator, topo.interfacesOf(concentrator));
    // every uplink registers in the group, none publicly
    assertThat(yaml).contains("registration_policy_per_interface:\n  1:\n    - \"ff00:0:112-1\"\n"
        + "  2:\n    - \"ff00:0:112-1\"\n").doesNotContain("public");
    assertThat(g.yaml("1-ff00:0:112", topo.interfacesOf("1-ff00:0:112"))).doesNotContain("registration_policy");
    Path dir = Path.of("/tmp/gen/ASff00_0_111");
    assertThat(hidden.controlToml(concentrator, dir)).contains("hidden_paths_cfg = \"" + dir + "/hidden-paths.yml\"");
    assertThat(hidden.daemonToml("1-ff00:0:112", Path.of("/tmp/gen/ASff00_0_112")))
        .contains("hidden_path_groups = \"/tmp/gen/ASff00_0_112/hidden-paths.yml\"");
    // the outsider and the cores take no part; nothing changes without hidden paths
    for (String other : List.of("1-ff00:0:113", "1-ff00:0:110")) {
      assertThat(hidden.controlToml(other, dir)).doesNotContain("hidden");
      assertThat(hidden.daemonToml(other, dir)).doesNotContain("hidden");
      assertThat(new ObjectMapper().valueToTree(hidden.topologyJson(other)).has("hidden_segment_lookup_service"))
          .isFalse();
    }
    assertThat(new ObjectMapper().valueToTree(hidden.topologyJson("1-ff00:0:112"))
        .at("/hidden_segment_registration_service/cs1-ff00_0_112-1/addr").asText()).isEqualTo("127.0.112.1:31000");
    assertThat(w.controlToml(concentrator, dir)).doesNotContain("hidden");
  }

  private JsonNode topologyJson(String ia) {
    return new ObjectMapper().valueToTree(w.topologyJson(ia));
  }
}
