package org.s3mp.app;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.s3mp.testbed.ScionBinaries;
import org.s3mp.testbed.Testbed;
import org.s3mp.testbed.TopologySpec;
import org.s3mp.testbed.TopologySpec.Interface;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code s3mp testbed ...}: the local SCION network of real scionproto processes. */
@Command(
    name = "testbed",
    mixinStandardHelpOptions = true,
    description = "The local SCION network (scionproto " + ScionBinaries.VERSION + " routers, control services,"
        + " daemons) on loopback addresses.",
    subcommands = {
      TestbedCommand.Up.class,
      TestbedCommand.Down.class,
      TestbedCommand.Status.class,
      TestbedCommand.Link.class,
      TestbedCommand.Install.class
    })
final class TestbedCommand {

  /** The run folder option shared by all subcommands. */
  static final class RunDir {
    @Option(names = "--dir", paramLabel = "DIR", description = "Run folder of the testbed (default: run/testbed).")
    Path dir;

    Path get() {
      return dir != null ? dir : Testbed.defaultRunDir();
    }

    Testbed attach() throws IOException {
      return Testbed.attach(get()).orElseThrow(() -> new IOException("no testbed is running in " + get()
          + " (start one with ./s3mp testbed up)"));
    }
  }

  @Command(name = "up", mixinStandardHelpOptions = true,
      description = "Build the SCION binaries if needed, generate the network and start it; returns once paths"
          + " exist between the concentrator and the head-end AS.")
  static final class Up implements Callable<Integer> {
    @picocli.CommandLine.Mixin RunDir runDir;

    @Option(names = "--topology", paramLabel = "FILE", description = "Topology file (YAML; default: the built-in"
        + " paper topology, see testbed/src/main/resources/org/s3mp/testbed/default-topology.yaml).")
    Path topology;

    @Option(names = "--drkey-epoch", paramLabel = "SECONDS", description = "Shorten DRKey epochs (testing).")
    Integer drkeyEpoch;

    @Option(names = "--sig", description = "Also run scionproto's SCION-IP gateway in the concentrator and the"
        + " head-end AS, each in a network namespace of its own, so that plain TCP/IP meters are reachable over"
        + " SCION (needs root).")
    boolean sig;

    @Option(names = "--hidden-paths", description = "The concentrator AS registers its down-segments only in a"
        + " hidden-path group whose readers (and registries) are the head-end AS(es); nothing public, so no other"
        + " AS (cores, the outsider) finds a path to the meters.")
    boolean hiddenPaths;

    @Option(names = "--timeout", paramLabel = "SECONDS", defaultValue = "120",
        description = "How long to wait for paths (default: ${DEFAULT-VALUE}).")
    int timeout;

    @Override
    public Integer call() throws Exception {
      TopologySpec topo = topology == null ? TopologySpec.defaultTopology() : TopologySpec.load(topology);
      long t0 = System.nanoTime();
      Testbed.Options o = new Testbed.Options(runDir.get(), topo,
          drkeyEpoch == null ? null : Duration.ofSeconds(drkeyEpoch), Duration.ofSeconds(timeout),
          line -> System.out.println("testbed: " + line), sig, hiddenPaths);
      Testbed tb = Testbed.start(o);
      System.out.printf("testbed: up in %.1f s%n%n", (System.nanoTime() - t0) / 1e9);
      printSummary(tb);
      return 0;
    }
  }

  static void printSummary(Testbed tb) throws IOException {
    System.out.println("ASes:");
    tb.topology().ases().forEach((ia, as) -> System.out.printf("  %-14s %-13s host %-13s daemon %s%n", ia,
        as.role().label(), as.ip(), tb.daemonAddress(ia).getAddress().getHostAddress() + ":"
            + tb.daemonAddress(ia).getPort()));
    System.out.println();
    System.out.println("paths " + tb.concentrator() + " -> " + tb.headEnd() + ":");
    for (Testbed.ScionPath p : tb.showpaths(tb.concentrator(), tb.headEnd(), true)) {
      System.out.printf("  [%s] %s%n", p.status(), String.join(" ", p.hops()));
    }
    System.out.println();
    printHiddenPaths(tb);
    printSig(tb);
    System.out.println("logs: " + tb.logDir());
  }

  private static void printHiddenPaths(Testbed tb) {
    tb.hiddenPaths().ifPresentOrElse(g -> {
      System.out.println("hidden paths: group " + g.id() + " (owner " + g.owner() + ")");
      System.out.println("  writers    " + String.join(", ", g.writers()) + " (down-segments registered only here)");
      System.out.println("  readers    " + String.join(", ", g.readers()));
      System.out.println("  registries " + String.join(", ", g.registries()));
      tb.outsider().ifPresent(o -> System.out.println("  " + o + " (outsider) and the cores find no path to "
          + String.join(", ", g.writers())));
    }, () -> System.out.println("hidden paths: off (every AS finds paths to every other)"));
    System.out.println();
  }

  private static void printSig(Testbed tb) {
    tb.sig().ifPresent(sig -> {
      String meter = sig.meterAddress().getHostAddress();
      System.out.println("SIG (SCION-IP gateways in " + tb.concentrator() + " and " + tb.headEnd() + "):");
      System.out.println("  meter LAN " + sig.meterPrefix() + " in network namespace " + sig.meterNamespace()
          + ", meter address " + meter);
      System.out.println("  head-end " + sig.headEndAddress().getHostAddress() + " (" + sig.headEndPrefix()
          + ", this namespace)");
      System.out.println("  run a meter there:  ip netns exec " + sig.meterNamespace()
          + " ./s3mp meter --simulated --listen tcp://" + meter + ":4059");
      System.out.println("  and read it:        ./s3mp read tcp://" + meter + ":4059");
      System.out.println();
    });
  }

  @Command(name = "down", mixinStandardHelpOptions = true,
      description = "Stop exactly the processes the testbed started (by PID); in SIG mode also remove the network"
          + " namespaces, devices and routes it created.")
  static final class Down implements Callable<Integer> {
    @picocli.CommandLine.Mixin RunDir runDir;

    @Override
    public Integer call() throws Exception {
      var tb = Testbed.attach(runDir.get());
      if (tb.isEmpty()) {
        System.out.println("testbed: not running");
        return 0;
      }
      int n = tb.get().processes().size();
      tb.get().stop();
      System.out.println("testbed: stopped " + n + " processes");
      return 0;
    }
  }

  @Command(name = "status", mixinStandardHelpOptions = true, description = "ASes, addresses, processes and links.")
  static final class Status implements Callable<Integer> {
    @picocli.CommandLine.Mixin RunDir runDir;

    @Option(names = "--json", description = "Machine-readable output.")
    boolean json;

    @Override
    public Integer call() throws Exception {
      var found = Testbed.attach(runDir.get());
      if (found.isEmpty()) {
        if (json) {
          System.out.println("{\"running\": false}");
        } else {
          System.out.println("testbed: not running");
        }
        return 3;
      }
      Testbed tb = found.get();
      List<Testbed.ProcessStatus> procs = tb.processes();
      long running = procs.stream().filter(Testbed.ProcessStatus::running).count();
      List<String> downLinks = new ArrayList<>();
      for (TopologySpec.LinkSpec l : tb.topology().links()) {
        if (tb.isLinkDown(Interface.parse(l.a()))) {
          downLinks.add(l.a() + " - " + l.b());
        }
      }
      if (json) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("running", running == procs.size());
        out.put("runDir", tb.runDir().toString());
        out.put("binaries", tb.binaries().path(ScionBinaries.Tool.ROUTER).getParent().toString());
        out.put("scionVersion", ScionBinaries.VERSION);
        List<Map<String, Object>> ases = new ArrayList<>();
        tb.topology().ases().forEach((ia, as) -> {
          Map<String, Object> a = new LinkedHashMap<>();
          a.put("isdAs", ia);
          a.put("role", as.role().label());
          a.put("host", as.ip());
          a.put("daemon", as.ip() + ":" + tb.daemonAddress(ia).getPort());
          a.put("configDir", tb.configDir(ia).toString());
          ases.add(a);
        });
        out.put("ases", ases);
        out.put("linksDown", downLinks);
        tb.hiddenPaths().ifPresent(g -> out.put("hiddenPathGroups", List.of(g)));
        tb.sig().ifPresent(sig -> out.put("sig", Map.of(
            "meterNamespace", sig.meterNamespace(),
            "meterAddress", sig.meterAddress().getHostAddress(),
            "meterPrefix", sig.meterPrefix(),
            "headEndAddress", sig.headEndAddress().getHostAddress(),
            "headEndPrefix", sig.headEndPrefix(),
            "namespaces", sig.namespaces(),
            "devices", sig.rootDevices())));
        out.put("processes", procs);
        System.out.println(new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(out));
      } else {
        System.out.printf("testbed: %d of %d processes running (binaries: %s)%n%n", running, procs.size(),
            tb.binaries().origin());
        tb.topology().ases().forEach((ia, as) -> System.out.printf("  %-14s %-13s host %-13s daemon %s:%d%n", ia,
            as.role().label(), as.ip(), as.ip(), tb.daemonAddress(ia).getPort()));
        System.out.println();
        for (Testbed.ProcessStatus p : procs) {
          if (!p.running()) {
            System.out.println("  NOT RUNNING: " + p.name() + " (pid " + p.pid() + "), log " + p.log());
          }
        }
        System.out.println("links down: " + (downLinks.isEmpty() ? "none" : String.join(", ", downLinks)));
        System.out.println();
        printHiddenPaths(tb);
        printSig(tb);
      }
      return running == procs.size() ? 0 : 1;
    }
  }

  @Command(name = "link", mixinStandardHelpOptions = true,
      description = "Cut or restore one inter-AS link, e.g. `link down 1-ff00:0:111#1`.")
  static final class Link implements Callable<Integer> {
    @picocli.CommandLine.Mixin RunDir runDir;

    @Parameters(index = "0", paramLabel = "down|up", description = "down or up")
    String action;

    @Parameters(index = "1", paramLabel = "IA#IFID", description = "An interface of the link, e.g. 1-ff00:0:111#1")
    String itf;

    @Override
    public Integer call() throws Exception {
      Interface i;
      try {
        i = Interface.parse(itf);
      } catch (IllegalArgumentException e) {
        throw new S3mp.UsageError(e.getMessage());
      }
      Testbed tb = runDir.attach();
      try {
        tb.topology().linkAt(i);
      } catch (IllegalArgumentException e) {
        throw new S3mp.UsageError(e.getMessage());
      }
      switch (action) {
        case "down" -> tb.linkDown(i);
        case "up" -> tb.linkUp(i);
        default -> throw new S3mp.UsageError("expected down or up, not " + action);
      }
      System.out.println("testbed: link " + i + " - " + tb.topology().peerOf(i) + " is " + action);
      return 0;
    }
  }

  @Command(name = "install", mixinStandardHelpOptions = true,
      description = "Build (once) or locate the scionproto " + ScionBinaries.VERSION + " binaries; `up` does this too.")
  static final class Install implements Callable<Integer> {
    @Override
    public Integer call() throws Exception {
      ScionBinaries bin = ScionBinaries.ensure(line -> System.out.println("testbed: " + line));
      System.out.println("testbed: SCION binaries: " + bin.origin());
      return 0;
    }
  }
}
