package org.s3mp.testbed;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** SIG mode's plan: addresses per loopback block, gateway configs, the topology's gateway entry. */
class SigNetworkTest {
  @TempDir Path tmp;

  @Test
  void addressesAndNamesFollowTheLoopbackBlock() {
    SigNetwork a = new SigNetwork(TopologySpec.defaultTopology(), tmp);
    SigNetwork b = new SigNetwork(TopologySpec.defaultTopology().withLoopbackBlock(7), tmp);
    assertThat(a.meterAddress().getHostAddress()).isEqualTo("198.19.0.17");
    assertThat(a.meterPrefix()).isEqualTo("198.19.0.16/28");
    assertThat(a.headEndAddress().getHostAddress()).isEqualTo("198.19.0.1");
    assertThat(b.meterAddress().getHostAddress()).isEqualTo("198.19.7.17");
    assertThat(b.namespaces()).containsExactly("s3mp7-concentrator", "s3mp7-headend").doesNotContainAnyElementsOf(a.namespaces());
    assertThat(b.rootDevices()).doesNotContainAnyElementsOf(a.rootDevices()).allMatch(d -> d.length() <= 15);
    assertThat(b.inMeterNamespace(List.of("true"))).containsExactly("ip", "netns", "exec", "s3mp7-concentrator", "true");
  }

  @Test
  void eachGatewayRoutesTheOtherSidesPrefixAndIsListedInItsTopology() throws Exception {
    TopologySpec topo = TopologySpec.defaultTopology().withLoopbackBlock(7);
    SigNetwork sig = new SigNetwork(topo, tmp);
    ScionConfigWriter w = new ScionConfigWriter(topo, tmp.resolve("gen"), sig);
    List<ScionConfigWriter.ProcessSpec> gws = sig.writeGatewayConfigs(w, ScionBinaries.at(Path.of("/opt/scion")));

    assertThat(gws).extracting(ScionConfigWriter.ProcessSpec::name)
        .containsExactly("gateway 1-ff00:0:111", "gateway 1-ff00:0:112");
    assertThat(gws.get(0).command()).startsWith("ip", "netns", "exec", "s3mp7-concentrator", "/opt/scion/gateway");
    ObjectMapper json = new ObjectMapper();
    JsonNode concentratorPolicy = json.readTree(w.asDir("1-ff00:0:111").resolve("sig.json").toFile());
    assertThat(concentratorPolicy.at("/ASes/1-ff00:0:112/Nets/0").asText()).isEqualTo(sig.headEndPrefix());
    JsonNode headEndPolicy = json.readTree(w.asDir("1-ff00:0:112").resolve("sig.json").toFile());
    assertThat(headEndPolicy.at("/ASes/1-ff00:0:111/Nets/0").asText()).isEqualTo(sig.meterPrefix());
    JsonNode gateway = ConfigFiles.TOML.readTree(w.asDir("1-ff00:0:111").resolve("gateway.toml").toFile());
    assertThat(gateway.at("/gateway/ctrl_addr").asText()).isEqualTo("198.18.7.2:30256");
    assertThat(gateway.at("/tunnel/src_ipv4").asText()).isEqualTo("198.19.7.17");
    assertThat(gateway.at("/sciond_connection/address").asText()).isEqualTo("127.7.111.1:30255");
    // the head-end's gateway has no source hint: its head-end address is in the root namespace
    assertThat(ConfigFiles.TOML.readTree(w.asDir("1-ff00:0:112").resolve("gateway.toml").toFile())
        .at("/tunnel").has("src_ipv4")).isFalse();

    JsonNode concentratorTopo = json.valueToTree(w.topologyJson("1-ff00:0:111"));
    assertThat(concentratorTopo.at("/sigs/sig1-ff00_0_111/data_addr").asText()).isEqualTo("198.18.7.2:30056");
    assertThat(json.valueToTree(w.topologyJson("1-ff00:0:110")).has("sigs")).isFalse();
    assertThat(json.valueToTree(new ScionConfigWriter(topo, tmp, null).topologyJson("1-ff00:0:111")).has("sigs"))
        .isFalse();
  }
}
