package org.s3mp.testbed;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** scionproto's own {@code scion} tool run against the testbed's daemons: the independent view of its paths. */
final class ScionTools {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final ScionBinaries bin;
  private final TopologySpec topo;
  private final ScionConfigWriter config;
  private final Path runDir;

  ScionTools(ScionBinaries bin, TopologySpec topo, ScionConfigWriter config, Path runDir) {
    this.bin = bin;
    this.topo = topo;
    this.config = config;
    this.runDir = runDir;
  }

  /** See {@link Testbed#showpaths}. */
  List<Testbed.ScionPath> showpaths(String srcIa, String dstIa, boolean probe) throws IOException {
    List<String> cmd = new ArrayList<>(List.of(bin.path(ScionBinaries.Tool.SCION).toString(), "showpaths", dstIa,
        "--sciond", config.daemonAddress(srcIa),
        "--local", topo.as(srcIa).ip(), "--format", "json", "--maxpaths", "64", "--timeout", "2s"));
    if (!probe) {
      cmd.add("--no-probe");
    }
    Commands.Result r = Commands.exec(cmd, runDir, Duration.ofSeconds(20));
    String out = r.output();
    int start = out.indexOf('{');
    if (start < 0) {
      throw new IOException("scion showpaths " + dstIa + " from " + srcIa + " failed: "
          + out.lines().reduce((a, b) -> b).orElse("exit " + r.exitCode()));
    }
    JsonNode root = JSON.readTree(out.substring(start));
    List<Testbed.ScionPath> paths = new ArrayList<>();
    for (JsonNode p : root.path("paths")) {
      List<String> hops = new ArrayList<>();
      for (JsonNode h : p.path("hops")) {
        hops.add(h.path("isd_as").asText() + "#" + h.path("interface").asText());
      }
      paths.add(new Testbed.ScionPath(hops, p.path("status").asText(""), p.path("fingerprint").asText(""),
          p.path("mtu").asInt(), p.path("next_hop").asText("")));
    }
    return paths;
  }

  /** See {@link Testbed#ping(String, String, int, String, boolean)}. */
  boolean ping(String srcIa, String dstAddress, int count, String sequence, boolean epic) throws IOException {
    List<String> cmd = new ArrayList<>(List.of(bin.path(ScionBinaries.Tool.SCION).toString(), "ping", dstAddress,
        "--sciond", config.daemonAddress(srcIa),
        "--local", topo.as(srcIa).ip(), "-c", Integer.toString(count), "--interval", "100ms", "--timeout", "1s"));
    if (sequence != null) {
      cmd.addAll(List.of("--sequence", sequence));
    }
    if (epic) {
      cmd.add("--epic");
    }
    Commands.Result r = Commands.exec(cmd, runDir, Duration.ofSeconds(10L + count));
    return r.exitCode() == 0 && r.output().contains(" 0% packet loss");
  }
}
