package org.s3mp.scion;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.s3mp.scion.daemon.PortRange;

class AsTopologyTest {
  @TempDir Path dir;

  @Test
  void readsTheAsMtuAndDispatchedPortsOfAScionprotoTopologyFile() throws IOException {
    Path f = dir.resolve("topology.json");
    Files.writeString(f, """
        {"isd_as": "1-ff00:0:111", "mtu": 1472, "dispatched_ports": "1024-65535", "attributes": [],
         "border_routers": {"br1": {"internal_addr": "127.0.111.1:31002"}}}
        """);
    assertThat(AsTopology.read(f))
        .isEqualTo(new AsTopology(IsdAs.parse("1-ff00:0:111"), 1472, new PortRange(1024, 65535)));
  }

  @Test
  void allPortsAreDispatchedWhenItSaysAll() throws IOException {
    assertThat(AsTopology.parse("{\"isd_as\": \"1-ff00:0:111\", \"mtu\": 1400, \"dispatched_ports\": \"all\"}")
        .dispatchedPorts()).isEqualTo(new PortRange(1, 65535));
  }

  @Test
  void aFileWithoutDispatchedPortsIsRefusedRatherThanGuessed() throws IOException {
    Path f = dir.resolve("topology.json");
    Files.writeString(f, "{\"isd_as\": \"1-ff00:0:111\", \"mtu\": 1472}");
    assertThatThrownBy(() -> AsTopology.read(f)).isInstanceOf(IOException.class)
        .hasMessageContaining(f.toString()).hasMessageContaining("dispatched_ports");
  }

  @Test
  void aBadAsNumberNamesTheFile() throws IOException {
    Path f = dir.resolve("topology.json");
    Files.writeString(f, "{\"isd_as\": \"ff00:0:111\", \"mtu\": 1472, \"dispatched_ports\": \"31000-32767\"}");
    assertThatThrownBy(() -> AsTopology.read(f)).isInstanceOf(IOException.class)
        .hasMessageContaining(f.toString()).hasMessageContaining("ISD-AS");
  }
}
