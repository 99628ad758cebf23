package org.s3mp.testbed;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * SIG mode of the testbed: scionproto's SCION-IP gateway in the concentrator AS and in the head-end AS, each in a
 * network namespace of its own, so that plain TCP/IP between the head-end and a meter crosses SCION while neither
 * end knows.
 *
 * <pre>
 *   root namespace: head-end 198.19.B.1 --veth--> namespace s3mpB-headend: gateway, tun "sig"
 *       ==SCION==> namespace s3mpB-concentrator: gateway, tun "sig", meter LAN 198.19.B.16/28 (meter 198.19.B.17)
 * </pre>
 *
 * <p>Addresses come from 198.18.0.0/15 (RFC 2544, set aside for benchmarks, so no real network is shadowed) with
 * the testbed's loopback block B as third octet, so testbeds of different blocks coexist. A gateway reaches its
 * AS's routers and daemon on 127.B.x.y through its veth: in the namespace 127/8 is no longer local (only
 * 127.0.0.1 is), and {@code route_localnet} lets loopback addresses cross the veth at both ends. Everything created
 * is recorded in the run folder and {@link #remove} deletes exactly that.
 */
public final class SigNetwork {
  private static final Logger log = LoggerFactory.getLogger(SigNetwork.class);
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String STATE = "sig-network.json";
  /** Device names inside a namespace; they only have to be unique there. */
  private static final String UPLINK = "uplink";
  private static final String TUN = "sig";
  private static final int CTRL_PORT = 30256;
  private static final int DATA_PORT = 30056;
  private static final int PROBE_PORT = 30856;

  /** One gateway's side: its AS, namespace, veth and the IP prefix behind it. */
  record Side(String ia, String asIp, String namespace, String rootDevice, String rootIp, String gatewayIp,
      String lanPrefix) {}

  private final Path runDir;
  private final int block;
  private final Side concentrator;
  private final Side headEnd;

  SigNetwork(TopologySpec topo, Path runDir) {
    this.runDir = runDir;
    String concentratorIa = topo.asWithRole(TopologySpec.Role.CONCENTRATOR);
    String headEndIa = topo.asWithRole(TopologySpec.Role.HEAD_END);
    this.block = Integer.parseInt(topo.as(concentratorIa).ip().split("\\.")[1]);
    String b = Integer.toString(block);
    this.concentrator = new Side(concentratorIa, topo.as(concentratorIa).ip(), "s3mp" + b + "-concentrator",
        "s3mp" + b + "c", "198.18." + b + ".1", "198.18." + b + ".2", "198.19." + b + ".16/28");
    this.headEnd = new Side(headEndIa, topo.as(headEndIa).ip(), "s3mp" + b + "-headend", "s3mp" + b + "h",
        "198.18." + b + ".5", "198.18." + b + ".6", "198.19." + b + ".0/28");
  }

  /** The namespace the meters live in: start a meter with {@link #inMeterNamespace}. */
  public String meterNamespace() {
    return concentrator.namespace();
  }

  /** The address a meter listens on in the meter namespace (more of the meter LAN can be added by hand). */
  public InetAddress meterAddress() {
    return address("198.19." + block + ".17");
  }

  public String meterPrefix() {
    return concentrator.lanPrefix();
  }

  /** The source address of the head-end (root namespace) towards the meter LAN. */
  public InetAddress headEndAddress() {
    return address("198.19." + block + ".1");
  }

  public String headEndPrefix() {
    return headEnd.lanPrefix();
  }

  /** The namespaces SIG mode creates: the concentrator's, then the head-end's. */
  public List<String> namespaces() {
    return List.of(concentrator.namespace(), headEnd.namespace());
  }

  /** The veth ends SIG mode creates in the root namespace. */
  public List<String> rootDevices() {
    return List.of(concentrator.rootDevice(), headEnd.rootDevice());
  }

  /** {@code command} run inside the meter namespace (needs root, like the rest of SIG mode). */
  public List<String> inMeterNamespace(List<String> command) {
    return inNamespace(meterNamespace(), command);
  }

  private static List<String> inNamespace(String namespace, List<String> command) {
    List<String> out = new ArrayList<>(List.of("ip", "netns", "exec", namespace));
    out.addAll(command);
    return out;
  }

  /** The name of the gateway process of an AS in {@link Testbed#processes()}. */
  public static String gatewayProcessName(String ia) {
    return "gateway " + ia;
  }

  private static InetAddress address(String ip) {
    try {
      return InetAddress.getByName(ip);
    } catch (UnknownHostException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The {@code sigs} entry of an AS's topology.json: where the remote gateway finds this AS's gateway. */
  Map<String, Object> topologyEntry(String ia) {
    for (Side s : List.of(concentrator, headEnd)) {
      if (s.ia().equals(ia)) {
        return Map.of("sig" + ia.replace(':', '_'), Map.of(
            "ctrl_addr", s.gatewayIp() + ":" + CTRL_PORT,
            "data_addr", s.gatewayIp() + ":" + DATA_PORT,
            "probe_addr", s.gatewayIp() + ":" + PROBE_PORT));
      }
    }
    return Map.of();
  }

  /**
   * Writes gateway.toml and the traffic policy (sig.json: the remote AS and its IP prefix) of both gateways into
   * their AS's config folder, and returns the gateway processes to start.
   */
  List<ScionConfigWriter.ProcessSpec> writeGatewayConfigs(ScionConfigWriter config, ScionBinaries bin)
      throws IOException {
    List<ScionConfigWriter.ProcessSpec> out = new ArrayList<>();
    for (Side s : List.of(concentrator, headEnd)) {
      Side remote = s == concentrator ? headEnd : concentrator;
      Path dir = Files.createDirectories(config.asDir(s.ia()));
      Path policy = ConfigFiles.writeJson(dir.resolve("sig.json"), ConfigFiles.table("ConfigVersion", 1,
          "ASes", Map.of(remote.ia(), Map.of("Nets", List.of(remote.lanPrefix())))));
      // the source hint must be local to the namespace: the meter address is, the head-end's is in the root one
      String srcHint = s == concentrator ? meterAddress().getHostAddress() : null;
      Path toml = ConfigFiles.writeToml(dir.resolve("gateway.toml"), ConfigFiles.table(
          "gateway", ConfigFiles.table("id", "sig" + s.ia().replace(':', '_'), "traffic_policy_file", policy,
              "ctrl_addr", s.gatewayIp() + ":" + CTRL_PORT, "data_addr", s.gatewayIp() + ":" + DATA_PORT,
              "probe_addr", s.gatewayIp() + ":" + PROBE_PORT),
          "tunnel", ConfigFiles.table("name", TUN, "src_ipv4", srcHint),
          "sciond_connection", ConfigFiles.table("address", config.daemonAddress(s.ia())),
          "log", ConfigFiles.table("console", ConfigFiles.table("level", "info"))));
      out.add(new ScionConfigWriter.ProcessSpec(gatewayProcessName(s.ia()), s.ia(), null,
          inNamespace(s.namespace(), List.of(bin.path(ScionBinaries.Tool.GATEWAY).toString(), "--config",
              toml.toString()))));
    }
    return out;
  }

  /** Creates namespaces, veths, addresses and routes; on failure removes what it created. */
  void create(Consumer<String> progress) throws IOException {
    List<String> existing = existingNamespaces();
    for (Side s : List.of(concentrator, headEnd)) {
      if (existing.contains(s.namespace())) {
        throw new IOException("network namespace " + s.namespace() + " already exists (left by a testbed that was"
            + " not stopped?); remove it with: ip netns del " + s.namespace());
      }
      if (Files.exists(Path.of("/sys/class/net", s.rootDevice()))) {
        throw new IOException("network device " + s.rootDevice() + " already exists; remove it with: ip link del "
            + s.rootDevice());
      }
    }
    progress.accept("SIG: namespaces " + concentrator.namespace() + " (meter LAN " + meterPrefix() + ") and "
        + headEnd.namespace() + " (head-end " + headEndAddress().getHostAddress() + ")");
    JSON.writeValue(runDir.resolve(STATE).toFile(), Map.of("namespaces", namespaces(), "devices", rootDevices()));
    try {
      for (Side s : List.of(concentrator, headEnd)) {
        createSide(s);
      }
      ip("-n", concentrator.namespace(), "addr", "add", meterAddress().getHostAddress() + "/32", "dev", "lo");
      String he = headEndAddress().getHostAddress();
      ip("addr", "add", he + "/32", "dev", headEnd.rootDevice());
      ip("route", "add", meterPrefix(), "via", headEnd.gatewayIp(), "src", he);
      ip("-n", headEnd.namespace(), "route", "add", headEndPrefix(), "via", headEnd.rootIp());
    } catch (IOException | RuntimeException e) {
      remove();
      if (e.getMessage() != null && e.getMessage().contains("Operation not permitted")) {
        throw new IOException("SIG mode needs root or CAP_NET_ADMIN (network namespaces, veth, tun): "
            + e.getMessage(), e);
      }
      throw e;
    }
  }

  private void createSide(Side s) throws IOException {
    ip("netns", "add", s.namespace());
    ip("link", "add", s.rootDevice(), "type", "veth", "peer", "name", UPLINK, "netns", s.namespace());
    ip("addr", "add", s.rootIp() + "/30", "dev", s.rootDevice());
    ip("link", "set", s.rootDevice(), "up");
    Files.writeString(Path.of("/proc/sys/net/ipv4/conf", s.rootDevice(), "route_localnet"), "1");
    ip("-n", s.namespace(), "addr", "add", s.gatewayIp() + "/30", "dev", UPLINK);
    ip("-n", s.namespace(), "link", "set", UPLINK, "up");
    ip("-n", s.namespace(), "link", "set", "lo", "up");
    ip("netns", "exec", s.namespace(), "sysctl", "-qw", "net.ipv4.conf." + UPLINK + ".route_localnet=1",
        "net.ipv4.conf.all.rp_filter=0", "net.ipv4.conf.default.rp_filter=0", "net.ipv4.ip_forward=1");
    ip("-n", s.namespace(), "route", "del", "local", "127.0.0.0/8", "dev", "lo", "table", "local");
    ip("-n", s.namespace(), "route", "add", s.asIp() + "/32", "via", s.rootIp(), "dev", UPLINK);
  }

  /** Returns once both gateways have routed the other side's prefix into their tun device. */
  void awaitRoutes(Duration timeout, Testbed testbed) throws IOException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      testbed.checkAlive();
      if (hasTunnelRoute(concentrator, headEnd) && hasTunnelRoute(headEnd, concentrator)) {
        return;
      }
      if (System.nanoTime() > deadline) {
        throw new IOException("the SCION-IP gateways did not set up their tunnel within " + timeout.toSeconds()
            + " s (no route to " + headEndPrefix() + " / " + meterPrefix() + " on device " + TUN + "); see "
            + testbed.logDir().resolve("gateway-*.log"));
      }
      pause();
    }
  }

  /** Polling interval of the waits above; the conditions themselves are the synchronisation. */
  private static void pause() throws IOException {
    try {
      Thread.sleep(100);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted", e);
    }
  }

  private static boolean hasTunnelRoute(Side s, Side remote) throws IOException {
    Commands.Result r = Commands.exec(List.of("ip", "-n", s.namespace(), "route", "show", "dev", TUN), null,
        Duration.ofSeconds(5));
    return r.exitCode() == 0 && r.output().contains(remote.lanPrefix());
  }

  /**
   * Removes exactly what {@link #create} recorded: processes still inside the namespaces (a meter started there),
   * the namespaces (which takes their devices, addresses and routes along) and the root ends of the veths.
   */
  void remove() throws IOException {
    Path state = runDir.resolve(STATE);
    if (!Files.exists(state)) {
      return;
    }
    Map<String, List<String>> recorded = JSON.readValue(state.toFile(), new TypeReference<>() {});
    List<String> existing = existingNamespaces();
    for (String ns : recorded.getOrDefault("namespaces", List.of())) {
      if (!existing.contains(ns)) {
        continue;
      }
      stopProcessesIn(ns);
      ip("netns", "del", ns);
    }
    // a namespace is torn down asynchronously; its veth peer in the root namespace goes with it
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    for (String dev : recorded.getOrDefault("devices", List.of())) {
      while (Files.exists(Path.of("/sys/class/net", dev)) && System.nanoTime() < deadline) {
        pause();
      }
      if (Files.exists(Path.of("/sys/class/net", dev))) {
        ip("link", "del", dev);
      }
    }
    Files.delete(state);
  }

  /** Processes left in one of our namespaces (e.g. a meter agent) would keep it alive: stop them by PID. */
  private static void stopProcessesIn(String ns) throws IOException {
    List<ProcessHandle> left = new ArrayList<>();
    for (String pid : ip("netns", "pids", ns).lines().filter(l -> !l.isBlank()).toList()) {
      ProcessHandle.of(Long.parseLong(pid.strip())).ifPresent(h -> {
        log.warn("stopping pid {} ({}) left in network namespace {}", h.pid(), h.info().command().orElse("?"), ns);
        h.destroy();
        left.add(h);
      });
    }
    for (ProcessHandle h : left) {
      try {
        h.onExit().get(10, java.util.concurrent.TimeUnit.SECONDS);
      } catch (Exception timeout) {
        h.destroyForcibly();
      }
    }
  }

  /** Names of the network namespaces that exist now ({@code ip netns list} adds an id after some). */
  private static List<String> existingNamespaces() throws IOException {
    return ip("netns", "list").lines().map(l -> l.split(" ")[0]).toList();
  }

  private static String ip(String... args) throws IOException {
    List<String> cmd = new ArrayList<>(List.of("ip"));
    cmd.addAll(List.of(args));
    return Commands.run(cmd, null, Duration.ofSeconds(10));
  }
}
