package org.s3mp.testbed;

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
  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
  private static final String STATE = "processes.json";
  private static final String DESCRIPTION = "testbed.json";

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

  /**
   * One testbed per JVM for integration tests, on a loopback block of its own ({@link LoopbackBlock}; a fixed one
   * with S3MP_TEST_LOOPBACK_BLOCK), in run/it-testbed-B, started on first use and stopped when the JVM exits.
   * Testbeds that killed test JVMs of this checkout left behind are stopped first.
   */
  public static Testbed shared() throws IOException {
    return SharedTestbed.get();
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
  private final LinkFaults faults;
  private final ScionTools tools;
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
    this.faults = new LinkFaults(topo, supervisor, runDir);
    this.tools = new ScionTools(bin, topo, config, runDir);
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
      new Convergence(tb, tb.topo, tb.faults, tb.tools).awaitForwarding(o.readyTimeout(), o.progress());
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
    return config.daemonAddress(ia);
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
    faults.down(itf);
  }

  /**
   * Restores a link cut by {@link #linkDown}. Returns once every router of the testbed reports its link and its
   * siblings up again: until then some of them still answer with SCMP "interface down".
   */
  public void linkUp(Interface itf) throws IOException {
    faults.up(itf);
  }

  /** Whether a link is cut (either of its routers frozen). */
  public boolean isLinkDown(Interface itf) throws IOException {
    return faults.isDown(itf);
  }

  /**
   * Packets the border router of {@code itf} dropped as invalid (scionproto's {@code router_dropped_pkts_total}
   * with reason "invalid": bad hop-field MAC, bad EPIC validation field or timestamp, malformed path).
   */
  public long routerDroppedInvalid(Interface itf) throws IOException {
    return faults.droppedInvalid(itf);
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
    return tools.showpaths(srcIa, dstIa, probe);
  }

  /** Runs scionproto's {@code scion ping} from {@code srcIa}; true when every echo got a reply. */
  public boolean ping(String srcIa, String dstAddress, int count, String sequence) throws IOException {
    return tools.ping(srcIa, dstAddress, count, sequence, false);
  }

  /** {@link #ping}, with {@code epic} as scionproto's {@code --epic}: the echo requests use the EPIC-HP path type. */
  public boolean ping(String srcIa, String dstAddress, int count, String sequence, boolean epic) throws IOException {
    return tools.ping(srcIa, dstAddress, count, sequence, epic);
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
