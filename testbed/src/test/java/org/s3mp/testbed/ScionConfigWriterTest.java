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
    assertThat(specs).hasSize(5 + 14 + 5 + 5);
    assertThat(specs.get(0).name()).startsWith("dispatcher");
    assertThat(specs.get(specs.size() - 1).name()).startsWith("daemon");
    assertThat(specs).filteredOn(s -> s.itf() != null).hasSize(14);
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

  private JsonNode topologyJson(String ia) {
    return new ObjectMapper().valueToTree(w.topologyJson(ia));
  }
}
