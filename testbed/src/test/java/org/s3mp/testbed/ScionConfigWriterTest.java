package org.s3mp.testbed;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
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
    var yaml = new ObjectMapper().valueToTree(g.config(concentrator, topo.interfacesOf(concentrator)));
    // every uplink registers in the group, none publicly
    assertThat(yaml.at("/registration_policy_per_interface/1").toString()).isEqualTo("[\"ff00:0:112-1\"]");
    assertThat(yaml.at("/registration_policy_per_interface/2").toString()).isEqualTo("[\"ff00:0:112-1\"]");
    assertThat(yaml.toString()).doesNotContain("public");
    assertThat(yaml.at("/groups/ff00:0:112-1/owner").asText()).isEqualTo("1-ff00:0:112");
    assertThat(g.config("1-ff00:0:112", topo.interfacesOf("1-ff00:0:112"))).doesNotContainKey(
        "registration_policy_per_interface");
    Path dir = Path.of("/tmp/gen/ASff00_0_111");
    assertThat(tree(hidden.controlConfig(concentrator, dir)).at("/path/hidden_paths_cfg").asText())
        .isEqualTo(dir + "/hidden-paths.yml");
    assertThat(tree(hidden.daemonConfig("1-ff00:0:112", Path.of("/tmp/gen/ASff00_0_112")))
        .at("/sd/hidden_path_groups").asText()).isEqualTo("/tmp/gen/ASff00_0_112/hidden-paths.yml");
    // the outsider and the cores take no part; nothing changes without hidden paths
    for (String other : List.of("1-ff00:0:113", "1-ff00:0:110")) {
      assertThat(tree(hidden.controlConfig(other, dir)).toString()).doesNotContain("hidden");
      assertThat(tree(hidden.daemonConfig(other, dir)).toString()).doesNotContain("hidden");
      assertThat(new ObjectMapper().valueToTree(hidden.topologyJson(other)).has("hidden_segment_lookup_service"))
          .isFalse();
    }
    assertThat(new ObjectMapper().valueToTree(hidden.topologyJson("1-ff00:0:112"))
        .at("/hidden_segment_registration_service/cs1-ff00_0_112-1/addr").asText()).isEqualTo("127.0.112.1:31000");
    assertThat(tree(w.controlConfig(concentrator, dir)).toString()).doesNotContain("hidden");
  }

  /**
   * Configs are written into a folder whose name has a quote, an apostrophe, spaces and a backslash: every file
   * parses back, with the paths in it as they are on disk.
   */
  @Test
  void pathsWithQuotesSpacesAndBackslashesAreEscapedInEveryFormat(@TempDir Path tmp) throws Exception {
    Path gen = tmp.resolve("run \"quoted\" it's a\\b").resolve("gen");
    HiddenPathGroup g = HiddenPathGroup.of(topo);
    SigNetwork sig = new SigNetwork(topo, tmp);
    ScionConfigWriter writer = new ScionConfigWriter(topo, gen, sig, g);
    writer.writeConfigs();
    sig.writeGatewayConfigs(writer, ScionBinaries.at(Path.of("/opt/scion")));

    Path dir = writer.asDir("1-ff00:0:111");
    JsonNode cs = ConfigFiles.TOML.readTree(dir.resolve("cs.toml").toFile());
    assertThat(cs.at("/general/config_dir").asText()).isEqualTo(dir.toString());
    assertThat(cs.at("/trust_db/connection").asText()).isEqualTo(dir.resolve("db/cs.trust.db").toString());
    assertThat(cs.at("/drkey/level1_db/connection").asText()).isEqualTo(dir.resolve("db/cs.drkey_level1.db").toString());
    assertThat(cs.at("/path/hidden_paths_cfg").asText()).isEqualTo(writer.hiddenPathsFile("1-ff00:0:111").toString());
    assertThat(cs.at("/beaconing/origination_interval").asText()).isEqualTo("2s");
    assertThat(cs.at("/beaconing/epic").asBoolean()).as("EPIC-HP authenticators in beacons").isTrue();
    JsonNode disp = ConfigFiles.TOML.readTree(dir.resolve("disp.toml").toFile());
    assertThat(disp.at("/dispatcher/service_addresses").get("1-ff00:0:111,CS").asText()).isEqualTo("127.0.111.1:31000");
    JsonNode router = ConfigFiles.TOML.readTree(dir.resolve("br1-ff00_0_111-1.toml").toFile());
    assertThat(router.at("/general/config_dir").asText()).isEqualTo(dir.toString());
    assertThat(router.at("/metrics/prometheus").asText()).isEqualTo("127.0.111.1:32001");
    JsonNode gateway = ConfigFiles.TOML.readTree(dir.resolve("gateway.toml").toFile());
    assertThat(gateway.at("/gateway/traffic_policy_file").asText()).isEqualTo(dir.resolve("sig.json").toString());
    Path readerDir = writer.asDir("1-ff00:0:112");
    JsonNode sd = ConfigFiles.TOML.readTree(readerDir.resolve("sd.toml").toFile());
    assertThat(sd.at("/sd/hidden_path_groups").asText()).isEqualTo(writer.hiddenPathsFile("1-ff00:0:112").toString());
    assertThat(sd.at("/sd/address").asText()).isEqualTo("127.0.112.1:30255");
    JsonNode hiddenPaths = ConfigFiles.YAML.readTree(writer.hiddenPathsFile("1-ff00:0:111").toFile());
    assertThat(hiddenPaths.at("/groups/ff00:0:112-1/writers/0").asText()).isEqualTo("1-ff00:0:111");
    assertThat(hiddenPaths.at("/registration_policy_per_interface/1/0").asText()).isEqualTo("ff00:0:112-1");
    assertThat(new ObjectMapper().readTree(dir.resolve("topology.json").toFile()).at("/isd_as").asText())
        .isEqualTo("1-ff00:0:111");
  }

  private static JsonNode tree(Object config) {
    return new ObjectMapper().valueToTree(config);
  }

  private JsonNode topologyJson(String ia) {
    return new ObjectMapper().valueToTree(w.topologyJson(ia));
  }
}
