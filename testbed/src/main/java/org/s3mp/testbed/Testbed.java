package org.s3mp.testbed;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.s3mp.testbed.ProcessSupervisor.Entry;
import org.s3mp.testbed.TopologySpec.AsSpec;
import org.s3mp.testbed.TopologySpec.Interface;
import org.s3mp.testbed.TopologySpec.Role;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A local SCION network of real scionproto processes (routers, control services, daemons, dispatchers), one
 * loopback address per AS. Used by {@code ./s3mp testbed} and by every module's integration tests.
 *
 * <pre>{@code
 * try (Testbed tb = Testbed.start(Testbed.options(dir))) {
 *   InetSocketAddress daemon = tb.daemonAddress(tb.concentrator());
 *   tb.linkDown(Interface.parse("1-ff00:0:111#1"));
 * }
 * }</pre>
 */
public final class Testbed implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Testbed.class);
  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
  private static final String STATE = "processes.json";
  private static final String DESCRIPTION = "testbed.json";
  private static final Duration FROZEN_POLL = Duration.ofMillis(5);
  private static final Duration HEALTH_POLL = Duration.ofMillis(100);

  /** How to start a testbed. */
  public record Options(
      Path runDir, TopologySpec topology, Duration drkeyEpoch, Duration readyTimeout, Consumer<String> progress,
      boolean sig, boolean hiddenPaths) {
    public Options(Path runDir, TopologySpec topology, Duration drkeyEpoch, Duration readyTimeout,
        Consumer<String> progress, boolean sig) {
      this(runDir, topology, drkeyEpoch, readyTimeout, progress, sig, false);
    }

    public Options withTopology(TopologySpec t) {
      return new Options(runDir, t, drkeyEpoch, readyTimeout, progress, sig, hiddenPaths);
    }

    /** Shortens DRKey epochs (SCION_TESTING_DRKEY_EPOCH_DURATION on every process) for rotation tests. */
    public Options withDrkeyEpoch(Duration d) {
      return new Options(runDir, topology, d, readyTimeout, progress, sig, hiddenPaths);
    }

    public Options withProgress(Consumer<String> p) {
      return new Options(runDir, topology, drkeyEpoch, readyTimeout, p, sig, hiddenPaths);
    }

    /** Adds SCION-IP gateways in network namespaces (see {@link SigNetwork}); needs root. */
    public Options withSig(boolean on) {
      return new Options(runDir, topology, drkeyEpoch, readyTimeout, progress, on, hiddenPaths);
    }

    /**
     * The concentrators register their down-segments only in the {@link HiddenPathGroup} of the head-ends: no
     * other AS finds a path to them.
     */
    public Options withHiddenPaths(boolean on) {
      return new Options(runDir, topology, drkeyEpoch, readyTimeout, progress, sig, on);
    }
  }

  /** What {@code testbed.json} records so that later commands can attach to a running testbed. */
  record Description(TopologySpec topology, String binaries, Long drkeyEpochSeconds, boolean sig,
      HiddenPathGroup hiddenPaths) {}

  public static Options options(Path runDir) {
    return new Options(runDir, TopologySpec.defaultTopology(), null, Duration.ofSeconds(120), line -> {}, false,
        false);
  }

  private static Testbed shared;

  /**
   * One testbed per JVM for integration tests, on a loopback block of its own ({@link LoopbackBlock}; a fixed one
   * with S3MP_TEST_LOOPBACK_BLOCK), in run/it-testbed-B, started on first use and stopped when the JVM exits.
   * Testbeds that killed test JVMs of this checkout left behind are stopped first.
   */
  public static synchronized Testbed shared() throws IOException {
    if (shared == null) {
      stopLeftovers();
      String fixed = System.getenv("S3MP_TEST_LOOPBACK_BLOCK");
      LoopbackBlock block = fixed == null ? LoopbackBlock.claim() : LoopbackBlock.claim(Integer.parseInt(fixed));
      Path dir = S3mpHome.dir().resolve("run").resolve("it-testbed-" + block.number());
      Testbed tb = start(options(dir).withTopology(block.topology()).withProgress(line -> log.info("{}", line)));
      Runtime.getRuntime().addShutdownHook(new Thread(() -> {
        try {
          tb.stop();
          block.close();
        } catch (IOException e) {
          log.warn("stopping the shared testbed failed: {}", e.getMessage());
        }
      }, "testbed-stop"));
      shared = tb;
    }
    return shared;
  }

  /** Test testbeds of this checkout whose block no JVM holds any more: their test JVM was killed. */
  private static void stopLeftovers() throws IOException {
    Path run = S3mpHome.dir().resolve("run");
    if (!Files.isDirectory(run)) {
      return;
    }
    try (Stream<Path> dirs = Files.list(run)) {
      for (Path dir : dirs.filter(d -> d.getFileName().toString().matches("it-testbed-\\d+")).toList()) {
        int b = Integer.parseInt(dir.getFileName().toString().substring("it-testbed-".length()));
        Optional<Testbed> stale = attach(dir);
        if (stale.isEmpty()) {
          continue;
        }
        try (LoopbackBlock free = LoopbackBlock.claimForCleanup(b)) {
          if (free != null) {
            log.info("stopping the testbed a killed test JVM left in {}", dir);
            stale.get().stop();
          }
        }
      }
    }
  }

  /** The run folder of the CLI's testbed. */
  public static Path defaultRunDir() {
    return S3mpHome.dir().resolve("run").resolve("testbed");
  }

  private final Path runDir;
  private final TopologySpec topo;
  private final ScionBinaries bin;
  private final ProcessSupervisor supervisor;
  private final ScionConfigWriter config;
  private final LoopbackSourceRoutes routes;
  private final RouterHealth health = new RouterHealth();
  /** Set in SIG mode. */
  private final SigNetwork sig;
  /** Set with hidden paths. */
  private final HiddenPathGroup hidden;

  private Testbed(Path runDir, TopologySpec topo, ScionBinaries bin, ProcessSupervisor supervisor, boolean sig,
      HiddenPathGroup hidden) {
    this.runDir = runDir;
    this.topo = topo;
    this.bin = bin;
    this.supervisor = supervisor;
    this.sig = sig ? new SigNetwork(topo, runDir) : null;
    this.hidden = hidden;
    this.config = new ScionConfigWriter(topo, runDir.resolve("gen"), this.sig, hidden);
    this.routes = new LoopbackSourceRoutes(runDir.resolve("routes.txt"));
  }

  /**
   * Generates crypto and configs, starts every process and returns once paths exist between the concentrator
   * and the head-end AS in both directions. On failure everything started is stopped again.
   */
  public static Testbed start(Options o) throws IOException {
    Files.createDirectories(o.runDir());
    Optional<Testbed> running = attach(o.runDir());
    if (running.isPresent()) {
      long live = running.get().supervisor.entries().stream().filter(ProcessSupervisor::alive).count();
      if (live > 0) {
        throw new IOException("a testbed is already running in " + o.runDir() + " (" + live
            + " processes); stop it first (./s3mp testbed down)");
      }
      running.get().stop(); // leftovers of one that died: its routes and SIG namespaces
    }
    checkPortsFree(o.topology());
    ScionBinaries bin = ScionBinaries.ensure(o.progress());
    deleteRecursively(o.runDir().resolve("gen"));
    deleteRecursively(o.runDir().resolve("logs"));
    HiddenPathGroup hidden = o.hiddenPaths() ? HiddenPathGroup.of(o.topology()) : null;
    Testbed tb = new Testbed(o.runDir(), o.topology(), bin, new ProcessSupervisor(o.runDir().resolve(STATE)), o.sig(),
        hidden);
    try {
      o.progress().accept("generating topology, certificates and configs in " + tb.config.asDir("x").getParent());
      tb.config.write(bin);
      JSON.writeValue(o.runDir().resolve(DESCRIPTION).toFile(), new Description(o.topology(),
          bin.origin(), o.drkeyEpoch() == null ? null : o.drkeyEpoch().toSeconds(), o.sig(), hidden));
      Map<String, String> env = new HashMap<>();
      env.put("GOMAXPROCS", "1");
      if (o.drkeyEpoch() != null) {
        env.put("SCION_TESTING_DRKEY_EPOCH_DURATION", o.drkeyEpoch().toSeconds() + "s");
      }
      tb.routes.add(o.topology().ases().values().stream().map(AsSpec::ip).toList());
      List<ScionConfigWriter.ProcessSpec> specs = new ArrayList<>(tb.config.processes(bin));
      if (tb.sig != null) {
        tb.sig.create(o.progress());
        specs.addAll(tb.sig.writeGatewayConfigs(tb.config, bin));
      }
      o.progress().accept("starting " + specs.size() + " SCION processes for " + o.topology().ases().size() + " ASes");
      for (ScionConfigWriter.ProcessSpec s : specs) {
        tb.supervisor.start(s.name(), s.command(), o.runDir(), o.runDir().resolve("logs").resolve(s.logName()), env);
      }
      o.progress().accept("waiting for a network that forwards: BFD on every link, then probed paths between "
          + tb.concentrator() + " and " + tb.headEnd() + " in both directions");
      tb.awaitForwarding(o.readyTimeout(), o.progress());
      o.progress().accept("the network forwards: every link up, every path between the two leaves alive");
      if (tb.sig != null) {
        o.progress().accept("waiting for the SCION-IP gateways' tunnel");
        tb.sig.awaitRoutes(o.readyTimeout(), tb);
      }
      return tb;
    } catch (IOException | RuntimeException e) {
      tb.stop();
      throw e;
    }
  }

  /** The testbed whose state is recorded in {@code runDir}, if any (its processes may have died). */
  public static Optional<Testbed> attach(Path runDir) throws IOException {
    Path desc = runDir.resolve(DESCRIPTION);
    if (!Files.exists(runDir.resolve(STATE)) || !Files.exists(desc)) {
      return Optional.empty();
    }
    Description d = JSON.readValue(desc.toFile(), Description.class);
    ScionBinaries bin = ScionBinaries.locate()
        .orElseThrow(() -> new IOException("the SCION binaries of the running testbed are gone: " + d.binaries()));
    return Optional.of(new Testbed(runDir, d.topology(), bin, new ProcessSupervisor(runDir.resolve(STATE)), d.sig(),
        d.hiddenPaths()));
  }

  private static void checkPortsFree(TopologySpec topo) throws IOException {
    for (Map.Entry<String, AsSpec> e : topo.ases().entrySet()) {
      for (int port : new int[] {ScionConfigWriter.CS_PORT, ScionConfigWriter.DAEMON_PORT}) {
        try (ServerSocket s = new ServerSocket()) {
          s.bind(new InetSocketAddress(InetAddress.getByName(e.getValue().ip()), port));
        } catch (IOException busy) {
          throw new IOException(e.getValue().ip() + ":" + port + " (" + e.getKey() + ") is already in use:"
              + " is another testbed running? (./s3mp testbed status)");
        }
      }
    }
  }

  public TopologySpec topology() {
    return topo;
  }

  public ScionBinaries binaries() {
    return bin;
  }

  public Path runDir() {
    return runDir;
  }

  /** The data concentrator AS (where meters live). */
  public String concentrator() {
    return topo.asWithRole(Role.CONCENTRATOR);
  }

  /** The head-end AS. */
  public String headEnd() {
    return topo.asWithRole(Role.HEAD_END);
  }

  /** An AS outside the utility (no part of the hidden-path group), if the topology has one. */
  public Optional<String> outsider() {
    return topo.ases().entrySet().stream().filter(e -> e.getValue().role() == Role.OUTSIDER).map(Map.Entry::getKey)
        .findFirst();
  }

  /** The hidden-path group the concentrators register in, if this testbed runs with hidden paths. */
  public Optional<HiddenPathGroup> hiddenPaths() {
    return Optional.ofNullable(hidden);
  }

  /** The SCION-IP gateway network, if this testbed was started in SIG mode. */
  public Optional<SigNetwork> sig() {
    return Optional.ofNullable(sig);
  }

  public InetAddress hostAddress(String ia) {
    try {
      return InetAddress.getByName(topo.as(ia).ip());
    } catch (java.net.UnknownHostException e) {
      throw new IllegalStateException(e);
    }
  }

  public InetSocketAddress daemonAddress(String ia) {
    return new InetSocketAddress(hostAddress(ia), ScionConfigWriter.DAEMON_PORT);
  }

  /** The daemon of an AS as {@code IP:PORT}, the form daemon options and {@code --daemon} take. */
  public String daemonHostPort(String ia) {
    return hostAddress(ia).getHostAddress() + ":" + ScionConfigWriter.DAEMON_PORT;
  }

  /** The config_dir (topology.json, certs) of one AS, e.g. for scionproto tools in standalone mode. */
  public Path configDir(String ia) {
    topo.as(ia);
    return config.asDir(ia);
  }

  public Path logDir() {
    return runDir.resolve("logs");
  }

  /**
   * Cuts the link at {@code itf}: the border router at the far end of the link is frozen (SIGSTOP), so no packet
   * crosses the link in either direction. Returns once the near side's router has detected it by BFD (about
   * 0.6 s) and answers traffic for the link with SCMP "external interface down".
   */
  public void linkDown(Interface itf) throws IOException {
    Entry router = routerOf(topo.peerOf(itf));
    ProcessSupervisor.signal(router, "STOP");
    Await.until(router.name() + " stopped", Duration.ofSeconds(5), FROZEN_POLL,
        () -> frozen(router) ? null : "still running");
    Await.until("BFD of " + itf + " down", Duration.ofSeconds(10), HEALTH_POLL,
        () -> health.state(metricsAddress(itf)).linkUp() ? "still up" : null);
    log.info("link {} - {} is down", itf, topo.peerOf(itf));
  }

  /**
   * Restores a link cut by {@link #linkDown}. Returns once every router of the testbed reports its link and its
   * siblings up again: until then some of them still answer with SCMP "interface down".
   */
  public void linkUp(Interface itf) throws IOException {
    Entry router = routerOf(topo.peerOf(itf));
    ProcessSupervisor.signal(router, "CONT");
    Await.until(router.name() + " continued", Duration.ofSeconds(5), FROZEN_POLL,
        () -> frozen(router) ? "still stopped" : null);
    Await.until("BFD up on every link after restoring " + itf, Duration.ofSeconds(20), HEALTH_POLL,
        this::routerProblems);
    log.info("link {} - {} is up", itf, topo.peerOf(itf));
  }

  /** Whether a link is cut (either of its routers frozen). */
  public boolean isLinkDown(Interface itf) throws IOException {
    return frozen(routerOf(itf)) || frozen(routerOf(topo.peerOf(itf)));
  }

  private Entry routerOf(Interface itf) throws IOException {
    topo.linkAt(itf);
    String name = "router " + itf;
    return supervisor.entries().stream()
        .filter(e -> e.name().equals(name))
        .findFirst()
        .orElseThrow(() -> new IOException("no router process for " + itf + " in " + runDir));
  }

  /**
   * Packets the border router of {@code itf} dropped as invalid (scionproto's {@code router_dropped_pkts_total}
   * with reason "invalid": bad hop-field MAC, bad EPIC validation field or timestamp, malformed path).
   */
  public long routerDroppedInvalid(Interface itf) throws IOException {
    return health.droppedInvalid(metricsAddress(itf));
  }

  private String metricsAddress(Interface itf) {
    return ScionConfigWriter.routerMetricsAddr(topo.as(itf.ia()), itf);
  }

  /**
   * What keeps the routers from forwarding, or null when every BFD session is up: of each link not cut on
   * purpose, and between each router and its running siblings.
   */
  private String routerProblems() throws IOException {
    List<Interface> all = new ArrayList<>();
    topo.ases().keySet().forEach(ia -> all.addAll(topo.interfacesOf(ia)));
    List<String> frozenIds = new ArrayList<>();
    for (Interface itf : all) {
      if (frozen(routerOf(itf))) {
        frozenIds.add(ScionConfigWriter.routerId(itf));
      }
    }
    List<String> problems = new ArrayList<>();
    for (Interface itf : all) {
      if (frozenIds.contains(ScionConfigWriter.routerId(itf))) {
        continue;
      }
      RouterHealth.State st = health.state(metricsAddress(itf));
      if (st.error() != null) {
        problems.add("router " + itf + ": " + st.error());
      } else if (!st.linkUp() && !isLinkDown(itf)) {
        problems.add("link " + itf + " BFD down");
      }
      st.unreachableSiblings().stream().filter(id -> !frozenIds.contains(id))
          .forEach(id -> problems.add("router " + itf + " does not reach its sibling " + id));
    }
    return problems.isEmpty() ? null : String.join("; ", problems);
  }

  private static boolean frozen(Entry e) throws IOException {
    if (!ProcessSupervisor.alive(e)) {
      return false;
    }
    String stat = Files.readString(Path.of("/proc", Long.toString(e.pid()), "stat"));
    // the state is the first field after the parenthesised command name
    String state = stat.substring(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return "T".equals(state) || "t".equals(state);
  }

  /** One process of the testbed, for status output. */
  public record ProcessStatus(String name, long pid, boolean running, String log) {}

  public List<ProcessStatus> processes() {
    return supervisor.entries().stream()
        .map(e -> new ProcessStatus(e.name(), e.pid(), ProcessSupervisor.alive(e), e.log()))
        .toList();
  }

  /** A path as scionproto's {@code scion showpaths} reports it. */
  public record ScionPath(List<String> hops, String status, String fingerprint, int mtu, String nextHop) {
    /** The ISD-ASes the path crosses, in order. */
    public List<String> ases() {
      List<String> out = new ArrayList<>();
      for (String h : hops) {
        String ia = h.substring(0, h.indexOf('#'));
        if (out.isEmpty() || !out.get(out.size() - 1).equals(ia)) {
          out.add(ia);
        }
      }
      return out;
    }

    public boolean alive() {
      return "alive".equals(status);
    }
  }

  /**
   * Paths from {@code srcIa} to {@code dstIa} from scionproto's own {@code scion showpaths}, probed (status alive
   * or timeout) unless {@code probe} is false.
   */
  public List<ScionPath> showpaths(String srcIa, String dstIa, boolean probe) throws IOException {
    List<String> cmd = new ArrayList<>(List.of(bin.path(ScionBinaries.Tool.SCION).toString(), "showpaths", dstIa,
        "--sciond", daemonAddress(srcIa).getAddress().getHostAddress() + ":" + ScionConfigWriter.DAEMON_PORT,
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
    List<ScionPath> paths = new ArrayList<>();
    for (JsonNode p : root.path("paths")) {
      List<String> hops = new ArrayList<>();
      for (JsonNode h : p.path("hops")) {
        hops.add(h.path("isd_as").asText() + "#" + h.path("interface").asText());
      }
      paths.add(new ScionPath(hops, p.path("status").asText(""), p.path("fingerprint").asText(""),
          p.path("mtu").asInt(), p.path("next_hop").asText("")));
    }
    return paths;
  }

  /** Runs scionproto's {@code scion ping} from {@code srcIa}; true when every echo got a reply. */
  public boolean ping(String srcIa, String dstAddress, int count, String sequence) throws IOException {
    return ping(srcIa, dstAddress, count, sequence, false);
  }

  /** {@link #ping}, with {@code epic} as scionproto's {@code --epic}: the echo requests use the EPIC-HP path type. */
  public boolean ping(String srcIa, String dstAddress, int count, String sequence, boolean epic) throws IOException {
    List<String> cmd = new ArrayList<>(List.of(bin.path(ScionBinaries.Tool.SCION).toString(), "ping", dstAddress,
        "--sciond", daemonAddress(srcIa).getAddress().getHostAddress() + ":" + ScionConfigWriter.DAEMON_PORT,
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

  /**
   * Waits for a network that forwards: every router's BFD sessions (links and siblings) up, and probed paths
   * between the concentrator and the head-end in both directions, all alive, including those through other ISDs
   * where the topology has them (core beaconing brings those a few seconds after the first paths).
   */
  private void awaitForwarding(Duration timeout, Consumer<String> progress) throws IOException {
    long deadline = System.nanoTime() + timeout.toNanos();
    Await.until("BFD up on every link", timeout, HEALTH_POLL, () -> {
      checkAlive();
      return routerProblems();
    });
    progress.accept("every link's BFD session is up; waiting for paths in both directions");
    String a = concentrator();
    String b = headEnd();
    boolean foreign = topo.ases().keySet().stream().map(TopologySpec::isd).distinct().count() > 1;
    Duration left = Duration.ofNanos(Math.max(0, deadline - System.nanoTime()));
    Await.until("working paths between " + a + " and " + b + (foreign ? " (also through other ISDs)" : ""),
        left, Duration.ofMillis(500), () -> {
          checkAlive();
          String ab = pathProblem(a, b, foreign);
          return ab != null ? ab : pathProblem(b, a, foreign);
        });
  }

  /**
   * Each pair of an uplink of {@code src} and one of {@code dst} whose parent cores are connected by core links:
   * beaconing has converged once a path over every such pair exists (the disjoint paths failover relies on).
   */
  private List<Interface[]> uplinkPairs(String src, String dst) {
    List<Interface[]> pairs = new ArrayList<>();
    for (Interface up : uplinks(src)) {
      for (Interface down : uplinks(dst)) {
        if (coresConnected(topo.peerOf(up).ia(), topo.peerOf(down).ia())) {
          pairs.add(new Interface[] {up, down});
        }
      }
    }
    return pairs;
  }

  /** The interfaces of {@code ia} towards a core parent. */
  private List<Interface> uplinks(String ia) {
    return topo.interfacesOf(ia).stream()
        .filter(itf -> !topo.linkAt(itf).core() && Interface.parse(topo.linkAt(itf).b()).equals(itf)
            && topo.as(topo.peerOf(itf).ia()).core())
        .toList();
  }

  private boolean coresConnected(String a, String b) {
    List<String> seen = new ArrayList<>(List.of(a));
    for (int i = 0; i < seen.size(); i++) {
      for (Interface itf : topo.interfacesOf(seen.get(i))) {
        String next = topo.peerOf(itf).ia();
        if (topo.linkAt(itf).core() && !seen.contains(next)) {
          seen.add(next);
        }
      }
    }
    return seen.contains(b);
  }

  private String pathProblem(String src, String dst, boolean foreign) {
    List<ScionPath> paths;
    try {
      paths = showpaths(src, dst, true);
    } catch (IOException notYet) {
      return notYet.getMessage();
    }
    if (paths.isEmpty()) {
      return "no path from " + src + " to " + dst + " yet";
    }
    List<ScionPath> dead = paths.stream().filter(p -> !p.alive()).toList();
    if (!dead.isEmpty()) {
      return dead.size() + " of " + paths.size() + " paths from " + src + " to " + dst + " not alive yet";
    }
    for (Interface[] pair : uplinkPairs(src, dst)) {
      if (paths.stream().noneMatch(p -> p.hops().get(0).equals(pair[0].toString())
          && p.hops().get(p.hops().size() - 1).equals(pair[1].toString()))) {
        return "no path from " + src + " to " + dst + " over " + pair[0] + " and " + pair[1] + " yet";
      }
    }
    int isd = TopologySpec.isd(src);
    if (foreign && paths.stream().noneMatch(p -> p.ases().stream().anyMatch(ia -> TopologySpec.isd(ia) != isd))) {
      return "no path from " + src + " to " + dst + " through another ISD yet";
    }
    return null;
  }

  /** Fails when a process of the testbed has died, naming it and the last line of its log. */
  void checkAlive() throws IOException {
    for (Entry e : supervisor.entries()) {
      if (!ProcessSupervisor.alive(e)) {
        throw new IOException(e.name() + " exited during start-up; see its log " + e.log() + ": "
            + lastLine(e.log()));
      }
    }
  }

  private static String lastLine(String file) {
    try (Stream<String> lines = Files.lines(Path.of(file))) {
      return lines.reduce((x, y) -> y).orElse("(empty log)");
    } catch (IOException e) {
      return "(no log)";
    }
  }

  /** Stops exactly the processes this testbed started. */
  public void stop() throws IOException {
    supervisor.stopAll(Duration.ofSeconds(12)); // control services take ~7 s to shut down
    routes.removeAll();
    if (sig != null) {
      sig.remove();
    }
    Files.deleteIfExists(runDir.resolve(DESCRIPTION));
  }

  @Override
  public void close() throws IOException {
    stop();
  }

  private static void deleteRecursively(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> s = Files.walk(dir)) {
      for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }
}
