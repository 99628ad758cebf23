package org.s3mp.app;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.s3mp.testbed.S3mpHome;
import org.s3mp.testbed.Testbed;
import org.s3mp.testbed.TopologySpec;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code s3mp demo}: the whole platform on this machine. The local SCION network (with hidden paths unless told
 * otherwise: only the head-end AS finds paths to the concentrator), one simulated meter in the concentrator AS
 * serving DLMS over SCION with DRKey keys, the head-end in its own AS reading it natively over SCION inside ISD 1,
 * the dashboard on HTTP. Ctrl-C stops every process it started.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
    description = "Run the whole platform: SCION testbed (hidden paths), a simulated meter (DLMS over SCION, DRKey"
        + " keys, ISD-1 geofence) and the head-end with its dashboard. Ctrl-C stops everything.")
final class DemoCommand implements java.util.concurrent.Callable<Integer> {
  @Option(names = "--http", paramLabel = "ADDR:PORT", defaultValue = "127.0.0.1:8080",
      description = "Where the dashboard listens (default: ${DEFAULT-VALUE}).")
  String http;

  @Option(names = "--dir", paramLabel = "DIR", description = "Working folder (default: run/demo; recreated).")
  Path dir;

  @Option(names = "--testbed-dir", paramLabel = "DIR",
      description = "Run folder of the SCION testbed (default: run/testbed; one that is running is used).")
  Path testbedDir;

  @Option(names = "--topology", paramLabel = "FILE", description = "Topology of a testbed the demo starts (YAML,"
      + " as for testbed up; e.g. another loopback block when another testbed uses the default one).")
  Path topology;

  @Option(names = "--no-hidden-paths", description = "Start the testbed without hidden paths: the concentrator"
      + " registers its down-segments publicly, so every AS (the outsider too) finds paths to the meter.")
  boolean noHiddenPaths;

  private final List<Process> children = new ArrayList<>();
  private Testbed startedTestbed;
  /** Set by Ctrl-C: the children ending then is what was asked for, not a failure. */
  private volatile boolean stopping;

  @Override
  public Integer call() throws Exception {
    Path work = dir != null ? dir : S3mpHome.dir().resolve("run").resolve("demo");
    deleteRecursively(work);
    Files.createDirectories(work);
    Runtime.getRuntime().addShutdownHook(new Thread(this::stopAll, "demo-stop"));

    Testbed tb = testbed();
    String meterIa = tb.concentrator();
    String headEndIa = tb.headEnd();
    String meterIp = tb.hostAddress(meterIa).getHostAddress();
    String headEndIp = tb.hostAddress(headEndIa).getHostAddress();
    String meterUrl = "scion://" + meterIa + ",[" + meterIp + "]:4059";

    say("starting the meter agent in the data concentrator AS " + meterIa);
    Process meter = start(work.resolve("meter.log"), "meter", "--simulated", "--listen", meterUrl, "--daemon",
        daemon(tb, meterIa), "--drkey", "--trust", headEndIa + "," + headEndIp, "--data",
        work.resolve("meter").toString(), "--capture-period", "60");
    awaitLine(meter, "listening on scion://", work.resolve("meter.log"));

    byte[] secret = new byte[24];
    new SecureRandom().nextBytes(secret);
    String token = "s3mp-demo-" + HexFormat.of().formatHex(secret);
    String sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
        .digest(token.getBytes(StandardCharsets.UTF_8)));
    Path config = writeHeadendConfig(work, http, daemon(tb, headEndIa), sha, meterUrl);
    say("starting the head-end in AS " + headEndIa);
    Process headend = start(work.resolve("headend.log"), "headend", "--config", config.toString());
    awaitPort(headend, http, work.resolve("headend.log"));

    System.out.println();
    System.out.println("  dashboard:   http://" + http + "/");
    System.out.println("  login token: " + token + "   (operator)");
    System.out.println("  meter:       " + meterUrl + " (DLMS over SCION, keys from DRKey, only paths inside ISD 1)");
    System.out.println("  try:         ./s3mp read '" + meterUrl + "' --drkey --daemon " + daemon(tb, headEndIa)
        + " --show-path --show-security");
    System.out.println("               ./s3mp testbed link down " + meterIa + "#2   (cut the leased line; watch the path)");
    if (tb.hiddenPaths().isPresent() && tb.outsider().isPresent()) {
      System.out.println("               ./s3mp scion showpaths " + meterIa + " --daemon "
          + daemon(tb, tb.outsider().get()) + "   (hidden paths: the outsider finds none)");
    }
    System.out.println("  logs:        " + work + ", " + tb.logDir());
    System.out.println();
    say("running; press Ctrl-C to stop everything");
    CountDownLatch forever = new CountDownLatch(1);
    CompletableFuture.anyOf(meter.onExit(), headend.onExit()).thenRun(forever::countDown);
    forever.await();
    if (stopping) {
      return 0;
    }
    throw new IOException((meter.isAlive() ? "the head-end" : "the meter agent") + " stopped unexpectedly; see "
        + work);
  }

  /**
   * Writes the head-end's config (headend.yaml) and the meter's path policy (only paths inside ISD 1) into
   * {@code work}, through Jackson so that any folder name is quoted as it must be.
   */
  static Path writeHeadendConfig(Path work, String http, String daemon, String tokenSha256, String meterUrl)
      throws IOException {
    Path policy = work.resolve("isd1-only.json");
    new ObjectMapper().writeValue(policy.toFile(),
        ordered("name", "isd1-only", "allowed_isds", List.of(1), "order", "latency"));
    Map<String, Object> config = ordered(
        "http", ordered("bind", http),
        "database", ordered("url", work.resolve("headend").resolve("db").toString()),
        "scion", ordered("daemon", daemon),
        "tokens", List.of(ordered("name", "demo-operator", "role", "operator", "sha256", tokenSha256)),
        "meters", List.of(ordered("id", "demo-meter", "url", meterUrl, "drkey", true, "policy", policy.toString(),
            "pollSeconds", 10, "profile", true)));
    Path file = work.resolve("headend.yaml");
    new YAMLMapper().writeValue(file.toFile(), config);
    return file;
  }

  private static Map<String, Object> ordered(Object... keysAndValues) {
    Map<String, Object> m = new LinkedHashMap<>();
    for (int i = 0; i < keysAndValues.length; i += 2) {
      m.put((String) keysAndValues[i], keysAndValues[i + 1]);
    }
    return m;
  }

  private Testbed testbed() throws IOException {
    Path runDir = testbedDir != null ? testbedDir : Testbed.defaultRunDir();
    var running = Testbed.attach(runDir);
    if (running.isPresent() && running.get().processes().stream().allMatch(Testbed.ProcessStatus::running)) {
      say("using the SCION testbed that is already running (" + runDir + "), hidden paths "
          + (running.get().hiddenPaths().isPresent() ? "on" : "off"));
      return running.get();
    }
    say("starting the local SCION network (the first run builds scionproto " + org.s3mp.testbed.ScionBinaries.VERSION
        + ", a few minutes)");
    Testbed.Options options = Testbed.options(runDir).withProgress(line -> say("  " + line))
        .withHiddenPaths(!noHiddenPaths);
    if (topology != null) {
      options = options.withTopology(TopologySpec.load(topology));
    }
    startedTestbed = Testbed.start(options);
    say(startedTestbed.hiddenPaths().map(g -> "hidden paths on: group " + g.id() + ", only " + g.readers()
        + " find paths to " + startedTestbed.concentrator()).orElse("hidden paths off"));
    return startedTestbed;
  }

  private static String daemon(Testbed tb, String ia) {
    InetSocketAddress a = tb.daemonAddress(ia);
    return a.getAddress().getHostAddress() + ":" + a.getPort();
  }

  private Process start(Path log, String... args) throws IOException {
    List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", System.getProperty("java.class.path"), S3mp.class.getName()));
    cmd.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
    pb.environment().put("S3MP_HOME", S3mpHome.dir().toString());
    Process p = pb.start();
    synchronized (children) {
      children.add(p);
    }
    // copy the child's output into its log, and keep it readable for the start-up check
    CompletableFuture.runAsync(() -> copy(p, log));
    return p;
  }

  private static void copy(Process p, Path log) {
    try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        var w = Files.newBufferedWriter(log)) {
      for (String line; (line = r.readLine()) != null; ) {
        w.write(line);
        w.newLine();
        w.flush();
      }
    } catch (IOException e) {
      // the child went away
    }
  }

  private static void awaitLine(Process p, String text, Path log) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
    while (System.nanoTime() < deadline) {
      if (!p.isAlive()) {
        throw new IOException("the process exited during start-up; see " + log + ": " + lastLine(log));
      }
      if (Files.exists(log) && Files.readString(log).contains(text)) {
        return;
      }
      try {
        p.onExit().get(200, TimeUnit.MILLISECONDS);
      } catch (TimeoutException stillRunning) {
        // poll again
      }
    }
    throw new IOException("not ready within 90 s; see " + log);
  }

  private static void awaitPort(Process p, String hostPort, Path log) throws Exception {
    int colon = hostPort.lastIndexOf(':');
    InetSocketAddress addr = new InetSocketAddress(hostPort.substring(0, colon),
        Integer.parseInt(hostPort.substring(colon + 1)));
    long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
    while (System.nanoTime() < deadline) {
      if (!p.isAlive()) {
        throw new IOException("the head-end exited during start-up; see " + log + ": " + lastLine(log));
      }
      try (Socket s = new Socket()) {
        s.connect(addr, 500);
        return;
      } catch (IOException notYet) {
        try {
          p.onExit().get(200, TimeUnit.MILLISECONDS);
        } catch (TimeoutException stillRunning) {
          // poll again
        }
      }
    }
    throw new IOException("the head-end did not open " + hostPort + " within 90 s; see " + log);
  }

  private static String lastLine(Path log) {
    try {
      List<String> lines = Files.readAllLines(log);
      return lines.isEmpty() ? "(no output)" : lines.get(lines.size() - 1);
    } catch (IOException e) {
      return "(no log)";
    }
  }

  /** Stops exactly what the demo started: its children by PID, then the testbed if it started one. */
  private void stopAll() {
    stopping = true;
    List<Process> all;
    synchronized (children) {
      all = new ArrayList<>(children);
    }
    for (Process p : all) {
      p.destroy();
    }
    for (Process p : all) {
      try {
        if (!p.waitFor(10, TimeUnit.SECONDS)) {
          p.destroyForcibly();
        }
      } catch (InterruptedException e) {
        p.destroyForcibly();
      }
    }
    if (startedTestbed != null) {
      try {
        startedTestbed.stop();
        System.out.println("demo: stopped the SCION testbed");
      } catch (IOException e) {
        System.err.println("demo: stopping the testbed failed: " + e.getMessage());
      }
    }
  }

  private static void say(String line) {
    System.out.println("demo: " + line);
    System.out.flush();
  }

  private static void deleteRecursively(Path d) throws IOException {
    if (!Files.exists(d)) {
      return;
    }
    try (var s = Files.walk(d)) {
      for (Path p : s.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }
}
