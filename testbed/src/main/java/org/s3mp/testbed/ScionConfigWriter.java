package org.s3mp.testbed;

import static org.s3mp.testbed.ConfigFiles.table;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.s3mp.testbed.TopologySpec.AsSpec;
import org.s3mp.testbed.TopologySpec.Interface;
import org.s3mp.testbed.TopologySpec.LinkSpec;

/**
 * Writes everything the scionproto processes of one testbed read: per AS a config_dir with topology.json,
 * staticInfoConfig.json, keys, certs (TRCs) and crypto (from {@code scion-pki testcrypto}), one TOML per
 * border router, control service, daemon and dispatcher. The layout follows scionproto's own generator
 * (tools/topology), with one border router per interface so one link can fail on its own.
 */
final class ScionConfigWriter {
  static final int CS_PORT = 31000;
  static final int DAEMON_PORT = 30255;
  static final int DISPATCHER_PORT = 30041;
  /** Ports the routers deliver to directly (dispatcher-less end hosts): all but the well-known ones. */
  static final String DISPATCHED_PORTS = "1024-65535";
  static final int MTU = 1472;

  private final TopologySpec topo;
  private final Path genDir;
  private final SigNetwork sig;
  private final HiddenPathGroup hidden;

  ScionConfigWriter(TopologySpec topo, Path genDir, SigNetwork sig) {
    this(topo, genDir, sig, null);
  }

  /**
   * {@code sig} is null unless the testbed runs SCION-IP gateways, {@code hidden} null unless the concentrators
   * register their down-segments in a hidden-path group only.
   */
  ScionConfigWriter(TopologySpec topo, Path genDir, SigNetwork sig, HiddenPathGroup hidden) {
    this.topo = topo;
    this.genDir = genDir;
    this.sig = sig;
    this.hidden = hidden;
  }

  /** The hidden-paths file of a member AS of the hidden-path group. */
  Path hiddenPathsFile(String ia) {
    return asDir(ia).resolve("hidden-paths.yml");
  }

  private boolean hiddenMember(String ia) {
    return hidden != null && hidden.member(ia);
  }

  static String fileName(String ia) {
    return "AS" + ia.substring(ia.indexOf('-') + 1).replace(':', '_');
  }

  static String routerId(Interface itf) {
    return "br" + itf.ia().replace(':', '_') + "-" + itf.ifid();
  }

  static String controlId(String ia) {
    return "cs" + ia.replace(':', '_') + "-1";
  }

  Path asDir(String ia) {
    return genDir.resolve(fileName(ia));
  }

  static String routerInternalAddr(AsSpec as, Interface itf) {
    return as.ip() + ":" + (CS_PORT + 2 * itf.ifid());
  }

  static String underlayAddr(AsSpec as, Interface itf) {
    return as.ip() + ":" + (50000 + itf.ifid());
  }

  /** Where a border router exports its Prometheus metrics (BFD state of its link and of its siblings). */
  static String routerMetricsAddr(AsSpec as, Interface itf) {
    return as.ip() + ":" + (32000 + itf.ifid());
  }

  /** Generates crypto and all configs. */
  void write(ScionBinaries bin) throws IOException {
    Files.createDirectories(genDir);
    runTestcrypto(bin);
    writeConfigs();
  }

  /** Writes keys, TRCs (copied from testcrypto's output, if any) and every process's config of each AS. */
  void writeConfigs() throws IOException {
    SecureRandom random = new SecureRandom();
    for (String ia : topo.ases().keySet()) {
      Path dir = asDir(ia);
      Files.createDirectories(dir.resolve("keys"));
      Files.createDirectories(dir.resolve("certs"));
      Files.createDirectories(dir.resolve("db"));
      for (String key : List.of("master0.key", "master1.key")) {
        byte[] k = new byte[16];
        random.nextBytes(k);
        Files.writeString(dir.resolve("keys").resolve(key), Base64.getEncoder().encodeToString(k));
      }
      copyTrcs(dir.resolve("certs"));
      ConfigFiles.writeJson(dir.resolve("topology.json"), topologyJson(ia));
      ConfigFiles.writeJson(dir.resolve("staticInfoConfig.json"), staticInfo(ia));
      for (Interface itf : topo.interfacesOf(ia)) {
        ConfigFiles.writeToml(dir.resolve(routerId(itf) + ".toml"), routerConfig(topo.as(ia), itf, dir));
      }
      if (hiddenMember(ia)) {
        ConfigFiles.writeYaml(hiddenPathsFile(ia), hidden.config(ia, topo.interfacesOf(ia)));
      }
      ConfigFiles.writeToml(dir.resolve("cs.toml"), controlConfig(ia, dir));
      ConfigFiles.writeToml(dir.resolve("sd.toml"), daemonConfig(ia, dir));
      ConfigFiles.writeToml(dir.resolve("disp.toml"), dispatcherConfig(ia));
    }
  }

  private void runTestcrypto(ScionBinaries bin) throws IOException {
    Map<String, Object> ases = new LinkedHashMap<>();
    topo.ases().forEach((ia, as) -> ases.put(ia, as.core()
        ? table("core", true, "voting", true, "authoritative", true, "issuing", true)
        : table("cert_issuer", issuerOf(ia))));
    Path crypto = ConfigFiles.writeYaml(genDir.resolve("testcrypto.yaml"), table("ASes", ases));
    Commands.run(
        List.of(bin.path(ScionBinaries.Tool.PKI).toString(), "testcrypto", "-t", crypto.toString(), "-o",
            genDir.toString(), "--as-validity", "365d"),
        genDir, java.time.Duration.ofMinutes(2));
  }

  /** Non-core ASes get their certificate from the first core AS of their ISD. */
  private String issuerOf(String ia) {
    int isd = TopologySpec.isd(ia);
    return topo.ases().entrySet().stream()
        .filter(e -> e.getValue().core() && TopologySpec.isd(e.getKey()) == isd)
        .map(Map.Entry::getKey)
        .findFirst()
        .orElseThrow();
  }

  private void copyTrcs(Path certs) throws IOException {
    try (DirectoryStream<Path> isds = Files.newDirectoryStream(genDir, "ISD*")) {
      for (Path isd : isds) {
        try (DirectoryStream<Path> trcs = Files.newDirectoryStream(isd.resolve("trcs"), "*.trc")) {
          for (Path trc : trcs) {
            Files.copy(trc, certs.resolve(trc.getFileName()), StandardCopyOption.REPLACE_EXISTING);
          }
        }
      }
    }
  }

  Map<String, Object> topologyJson(String ia) {
    AsSpec as = topo.as(ia);
    Map<String, Object> t = new LinkedHashMap<>();
    t.put("isd_as", ia);
    t.put("mtu", MTU);
    t.put("dispatched_ports", DISPATCHED_PORTS);
    t.put("attributes", as.core() ? List.of("core") : List.of());
    Map<String, Object> cs = Map.of(controlId(ia), Map.of("addr", as.ip() + ":" + CS_PORT));
    t.put("control_service", cs);
    t.put("discovery_service", cs);
    if (hiddenMember(ia)) {
      // where other members' control services find this AS's hidden segment services (through its discovery)
      t.put("hidden_segment_lookup_service", cs);
      t.put("hidden_segment_registration_service", cs);
    }
    Map<String, Object> routers = new LinkedHashMap<>();
    for (Interface itf : topo.interfacesOf(ia)) {
      Interface peer = topo.peerOf(itf);
      LinkSpec link = topo.linkAt(itf);
      String linkTo = link.core() ? "core" : Interface.parse(link.a()).equals(itf) ? "child" : "parent";
      Map<String, Object> ifc = new LinkedHashMap<>();
      ifc.put("underlay", Map.of("local", underlayAddr(as, itf), "remote", underlayAddr(topo.as(peer.ia()), peer)));
      ifc.put("isd_as", peer.ia());
      ifc.put("link_to", linkTo);
      ifc.put("mtu", MTU);
      routers.put(routerId(itf), Map.of(
          "internal_addr", routerInternalAddr(as, itf),
          "interfaces", Map.of(Integer.toString(itf.ifid()), ifc)));
    }
    t.put("border_routers", routers);
    Map<String, Object> gateways = sig == null ? Map.of() : sig.topologyEntry(ia);
    if (!gateways.isEmpty()) {
      t.put("sigs", gateways); // the control service tells remote gateways where ours is
    }
    return t;
  }

  /** Path metadata: latency of each link and inside the AS, location (with country) of each interface. */
  private Map<String, Object> staticInfo(String ia) {
    AsSpec as = topo.as(ia);
    List<Interface> itfs = topo.interfacesOf(ia);
    Map<String, Object> latency = new LinkedHashMap<>();
    Map<String, Object> geo = new LinkedHashMap<>();
    Map<String, Object> linkType = new LinkedHashMap<>();
    for (Interface itf : itfs) {
      LinkSpec link = topo.linkAt(itf);
      Map<String, String> intra = new LinkedHashMap<>();
      for (Interface other : itfs) {
        if (other.ifid() != itf.ifid()) {
          intra.put(Integer.toString(other.ifid()), "1ms");
        }
      }
      Map<String, Object> l = new LinkedHashMap<>();
      l.put("Inter", link.latency() == null ? "1ms" : link.latency());
      l.put("Intra", intra);
      latency.put(Integer.toString(itf.ifid()), l);
      if (as.geo() != null) {
        geo.put(Integer.toString(itf.ifid()), Map.of(
            "Latitude", as.geo().latitude(), "Longitude", as.geo().longitude(),
            "Address", as.geo().country() == null ? "" : as.geo().country()));
      }
      linkType.put(Integer.toString(itf.ifid()), "direct");
    }
    Map<String, Object> info = new LinkedHashMap<>();
    info.put("Latency", latency);
    info.put("Geo", geo);
    info.put("LinkType", linkType);
    info.put("Note", as.name() == null ? ia : as.name());
    return info;
  }

  /** The sections every scionproto service config starts with. */
  private static Map<String, Object> service(String id, Path dir) {
    return table("general", table("id", id, "config_dir", dir), "log", table("console", table("level", "info")));
  }

  private static Map<String, Object> db(Path file) {
    return table("connection", file);
  }

  private static Map<String, Object> routerConfig(AsSpec as, Interface itf, Path dir) {
    Map<String, Object> c = service(routerId(itf), dir);
    c.put("metrics", table("prometheus", routerMetricsAddr(as, itf)));
    return c;
  }

  Map<String, Object> controlConfig(String ia, Path dir) {
    Path db = dir.resolve("db");
    Map<String, Object> c = service(controlId(ia), dir);
    c.put("trust_db", db(db.resolve("cs.trust.db")));
    c.put("beacon_db", db(db.resolve("cs.beacon.db")));
    c.put("path_db", db(db.resolve("cs.path.db")));
    c.put("drkey", table("level1_db", db(db.resolve("cs.drkey_level1.db")),
        "secret_value_db", db(db.resolve("cs.drkey_sv.db"))));
    // beacon faster than the 5 s default so that paths exist a few seconds after start-up; epic: every AS adds
    // its EPIC-HP authenticators to the beacons, so the daemons hand them out with the paths (issue 17)
    c.put("beaconing", table("origination_interval", "2s", "propagation_interval", "2s",
        "registration_interval", "2s", "epic", true));
    // re-query cached segments often, so paths that appear later (e.g. via other ISDs) show up in seconds
    c.put("path", table("query_interval", "5s", "hidden_paths_cfg", hiddenMember(ia) ? hiddenPathsFile(ia) : null));
    if (topo.as(ia).core()) {
      c.put("ca", table("mode", "in-process"));
    }
    return c;
  }

  Map<String, Object> daemonConfig(String ia, Path dir) {
    Path db = dir.resolve("db");
    Map<String, Object> c = service("sd" + ia.replace(':', '_'), dir);
    c.put("trust_db", db(db.resolve("sd.trust.db")));
    c.put("path_db", db(db.resolve("sd.path.db")));
    c.put("drkey_level2_db", db(db.resolve("sd.drkey_level2.db")));
    // readers' daemons also ask their control service for the group's hidden down-segments
    boolean reader = hidden != null && hidden.readers().contains(ia);
    c.put("sd", table("address", daemonAddress(ia), "query_interval", "5s",
        "hidden_path_groups", reader ? hiddenPathsFile(ia) : null));
    return c;
  }

  Map<String, Object> dispatcherConfig(String ia) {
    AsSpec as = topo.as(ia);
    String cs = as.ip() + ":" + CS_PORT;
    return table(
        "dispatcher", table("id", "disp" + ia.replace(':', '_'), "underlay_addr", as.ip(),
            "service_addresses", table(ia + ",CS", cs, ia + ",DS", cs)),
        "log", table("console", table("level", "info")));
  }

  String daemonAddress(String ia) {
    return topo.as(ia).ip() + ":" + DAEMON_PORT;
  }

  /** Every process of the testbed, in start order: dispatchers, routers, control services, daemons. */
  List<ProcessSpec> processes(ScionBinaries bin) {
    List<ProcessSpec> out = new ArrayList<>();
    for (String ia : topo.ases().keySet()) {
      out.add(new ProcessSpec("dispatcher " + ia, ia, null,
          List.of(bin.path(ScionBinaries.Tool.DISPATCHER).toString(), "--config", asDir(ia).resolve("disp.toml").toString())));
    }
    for (String ia : topo.ases().keySet()) {
      for (Interface itf : topo.interfacesOf(ia)) {
        out.add(new ProcessSpec("router " + itf, ia, itf,
            List.of(bin.path(ScionBinaries.Tool.ROUTER).toString(), "--config",
                asDir(ia).resolve(routerId(itf) + ".toml").toString())));
      }
    }
    for (String ia : topo.ases().keySet()) {
      out.add(new ProcessSpec("control " + ia, ia, null,
          List.of(bin.path(ScionBinaries.Tool.CONTROL).toString(), "--config", asDir(ia).resolve("cs.toml").toString())));
    }
    for (String ia : topo.ases().keySet()) {
      out.add(new ProcessSpec("daemon " + ia, ia, null,
          List.of(bin.path(ScionBinaries.Tool.DAEMON).toString(), "--config", asDir(ia).resolve("sd.toml").toString())));
    }
    return out;
  }

  /** A process to start; {@code itf} is set for border routers. */
  record ProcessSpec(String name, String ia, Interface itf, List<String> command) {
    String logName() {
      return name.replace(' ', '-').replace(':', '_').replace('#', '-') + ".log";
    }
  }
}
