package org.s3mp.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.s3mp.dlms.MeterObjects;
import org.s3mp.dlms.client.ClientSecurity;
import org.s3mp.dlms.client.MeterClient;
import org.s3mp.dlms.drkey.DlmsKeys;
import org.s3mp.dlms.server.AssociationKeys;
import org.s3mp.dlms.drkey.DrkeyAssociationKeys;
import org.s3mp.dlms.drkey.DrkeyKeySource;
import org.s3mp.dlms.security.KeysFile;
import org.s3mp.dlms.transport.LinkOptions;
import org.s3mp.dlms.transport.MeterUrl;
import org.s3mp.meter.AgentConfig;
import org.s3mp.meter.MeterAgent;
import org.s3mp.meter.Sources;
import org.s3mp.meter.drivers.LoggingDisplay;
import org.s3mp.meter.drivers.LoggingRelay;
import org.s3mp.scion.ScionAddress;
import org.s3mp.scion.daemon.DaemonClient;
import org.s3mp.testbed.TopologySpec.Interface;
import org.s3mp.testbed.LoopbackBlock;
import org.s3mp.testbed.Testbed;

/**
 * {@code ./s3mp testbed up --hidden-paths}: the concentrator's down-segments are registered only in the head-end's
 * hidden-path group. Checked with scionproto's {@code scion showpaths} and with ours: the outsider AS (and a core)
 * finds no path to the concentrator, though it does find the head-end; the head-end finds the same paths as ever
 * (the reversal of the concentrator's paths to it), and DLMS reads over them work: with DRKey keys (the meter's AS
 * fetches the level-1 key from the public head-end AS), failing over between the uplinks, inside the geofence.
 */
class HiddenPathsIT {
  /** Short DRKey epochs, so that a test sees the keys renewed. */
  static final Duration DRKEY_EPOCH = Duration.ofSeconds(20);
  @TempDir static Path tmp;
  static Path runDir;
  static LoopbackBlock block;
  static Testbed tb;
  static String outsider;

  @BeforeAll
  static void up() throws Exception {
    runDir = tmp.resolve("tb");
    Path topo = tmp.resolve("topo.yaml");
    new ObjectMapper(new YAMLFactory()).writeValue(topo.toFile(), (block = LoopbackBlock.claim()).topology());
    Cli.Result r = Cli.run("testbed", "up", "--hidden-paths", "--drkey-epoch", "" + DRKEY_EPOCH.toSeconds(), "--dir",
        runDir.toString(), "--topology", topo.toString());
    assertThat(r.exitCode()).as(r.out() + r.err()).isZero();
    assertThat(r.out()).contains("hidden paths: group ff00:0:112-1", "1-ff00:0:113   outsider");
    tb = Testbed.attach(runDir).orElseThrow();
    outsider = tb.outsider().orElseThrow();
  }

  @AfterAll
  static void down() throws Exception {
    if (runDir != null) {
      Cli.Result r = Cli.run("testbed", "down", "--dir", runDir.toString());
      assertThat(r.exitCode()).as(r.err()).isZero();
    }
    if (block != null) {
      block.close();
    }
  }

  private static String daemon(String ia) {
    return tb.daemonHostPort(ia);
  }

  /** A simulated meter listening over SCION in the concentrator AS. */
  private static MeterAgent scionMeter(Path data, AssociationKeys keys, String serial) throws IOException {
    String ip = tb.hostAddress(tb.concentrator()).getHostAddress();
    return MeterAgent.start(new AgentConfig(data,
        List.of(MeterUrl.parse("scion://" + tb.concentrator() + ",[" + ip + "]:0")), keys, Sources.simulated(3),
        900, new LoggingRelay(), new LoggingDisplay(), serial,
        LinkOptions.of(Duration.ofSeconds(1)).with(LinkOptions.SCION_DAEMON, daemon(tb.concentrator()))));
  }

  /** The hop lists ({@code IA#IF ...}) of our {@code ./s3mp scion showpaths} output. */
  private static Set<String> ourPaths(Cli.Result r) {
    return r.out().lines().filter(l -> l.matches("\\[ *\\d+\\] Hops: \\[.*")).map(l -> {
      String hops = l.substring(l.indexOf("Hops: [") + 7, l.indexOf(']', l.indexOf("Hops: [")));
      // "1-ff00:0:112 1>2 1-ff00:0:110 1>1 1-ff00:0:111" -> "1-ff00:0:112#1 1-ff00:0:110#2 1-ff00:0:110#1 ..."
      String[] t = hops.split(" ");
      List<String> out = new ArrayList<>();
      for (int i = 1; i < t.length; i += 2) {
        String[] io = t[i].split(">");
        out.add(t[i - 1] + "#" + io[0]);
        out.add(t[i + 1] + "#" + io[1]);
      }
      return String.join(" ", out);
    }).collect(Collectors.toSet());
  }

  private static Set<String> scionprotoPaths(String src, String dst) throws IOException {
    return tb.showpaths(src, dst, false).stream().map(p -> String.join(" ", p.hops())).collect(Collectors.toSet());
  }

  @Test
  void theOutsiderAndTheCoresFindNoPathToTheConcentratorButTheHeadEndDoes() throws Exception {
    String concentrator = tb.concentrator();
    for (String src : List.of(outsider, tb.topology().asWithRole(org.s3mp.testbed.TopologySpec.Role.CORE))) {
      assertThat(scionprotoPaths(src, concentrator)).as("scionproto's paths from " + src).isEmpty();
      Cli.Result ours = Cli.run("scion", "showpaths", concentrator, "--daemon", daemon(src));
      assertThat(ours.exitCode()).as(ours.out() + ours.err()).isEqualTo(1);
      assertThat(ours.err()).contains("no path to " + concentrator, "knows none");
    }
    // the outsider is connected: it does find the (public) head-end AS
    assertThat(scionprotoPaths(outsider, tb.headEnd())).isNotEmpty();

    // from the head-end: every path the concentrator has to it, reversed (hidden paths hide nothing from readers)
    Set<String> reversed = scionprotoPaths(concentrator, tb.headEnd()).stream().map(p -> {
      List<String> hops = new ArrayList<>(List.of(p.split(" ")));
      Collections.reverse(hops);
      return String.join(" ", hops);
    }).collect(Collectors.toSet());
    Set<String> fromHeadEnd = scionprotoPaths(tb.headEnd(), concentrator);
    assertThat(fromHeadEnd).isEqualTo(reversed).hasSizeGreaterThanOrEqualTo(6);
    Cli.Result ours = Cli.run("scion", "showpaths", concentrator, "--daemon", daemon(tb.headEnd()));
    assertThat(ours.exitCode()).as(ours.err()).isZero();
    assertThat(ourPaths(ours)).isEqualTo(fromHeadEnd);
  }

  @Test
  void statusShowsTheGroup() throws Exception {
    Cli.Result r = Cli.run("testbed", "status", "--json", "--dir", runDir.toString());
    assertThat(r.exitCode()).as(r.err()).isZero();
    JsonNode g = new ObjectMapper().readTree(r.out()).path("hiddenPathGroups").path(0);
    assertThat(g.path("id").asText()).isEqualTo("ff00:0:112-1");
    assertThat(g.path("writers").toString()).contains(tb.concentrator());
    assertThat(g.path("readers").toString()).contains(tb.headEnd()).doesNotContain(outsider);
    assertThat(Cli.run("testbed", "status", "--dir", runDir.toString()).out())
        .contains("hidden paths: group ff00:0:112-1", "readers    " + tb.headEnd());
  }

  @Test
  void theHeadEndReadsTheMeterOverHiddenPathsAndTheOutsiderCannotEvenSend(@TempDir Path data) throws Exception {
    KeysFile keys = KeysFile.generate(new byte[] {'S', '3', 'M', 'P', 'H', 'E', 0, 1},
        new byte[] {'S', '3', 'M', 'P', 0, 0, 0, 9});
    try (MeterAgent agent = scionMeter(data, AssociationKeys.fixed(keys), "IT-HIDDEN-1")) {
      MeterUrl url = agent.endpoints().get(0);
      try (MeterClient c = MeterClient.open(url, ClientSecurity.management(keys), LinkOptions.of(Duration.ofSeconds(3))
          .with(LinkOptions.SCION_DAEMON, daemon(tb.headEnd())).with(LinkOptions.PATH_POLICY, "{\"allowed_isds\": [1]}"))) {
        assertThat(c.readSerialNumber()).isEqualTo("IT-HIDDEN-1");
        assertThat(c.readRegister(MeterObjects.ACTIVE_POWER_IMPORT).value()).isPositive();
        assertThat(c.lastPath().orElseThrow().ases()).startsWith(tb.headEnd()).endsWith(tb.concentrator());
      }
      // EPIC-HP, made for hidden paths: the hidden segments carry the authenticators too, and the reads pass the
      // routers' per-packet checks
      long epicBefore = agent.receivedOverEpic();
      try (MeterClient c = MeterClient.open(url, ClientSecurity.management(keys), LinkOptions.of(Duration.ofSeconds(3))
          .with(LinkOptions.SCION_DAEMON, daemon(tb.headEnd()))
          .with(LinkOptions.PATH_POLICY, "{\"allowed_isds\": [1], \"epic\": true}"))) {
        assertThat(c.readSerialNumber()).isEqualTo("IT-HIDDEN-1");
      }
      assertThat(agent.receivedOverEpic() - epicBefore).isGreaterThanOrEqualTo(3);
      assertThatThrownBy(() -> MeterClient.open(url, ClientSecurity.publicClient(),
          LinkOptions.of(Duration.ofSeconds(2)).with(LinkOptions.SCION_DAEMON, daemon(outsider))))
          .isInstanceOf(IOException.class).hasMessageContaining("no path to " + tb.concentrator());
    }
  }

  /**
   * DRKey under hidden paths: the head-end's host is the DRKey source, so the concentrator's control service
   * fetches the level-1 key from the head-end AS, which is public; the other way round it would find no path.
   * Reads with those keys stay inside ISD 1 and go on while the uplink they take is cut.
   */
  @Test
  void drkeyReadsOverHiddenPathsFailOverBetweenTheUplinksInsideTheGeofence(@TempDir Path data) throws Exception {
    String ip = tb.hostAddress(tb.concentrator()).getHostAddress();
    ScionAddress meter = ScionAddress.parse(tb.concentrator() + ",[" + ip + "]:4059");
    ScionAddress headEnd = ScionAddress.parse(tb.headEnd() + ",[" + tb.hostAddress(tb.headEnd()).getHostAddress()
        + "]:1");
    Interface cut = null;
    try (DaemonClient meterDaemon = DaemonClient.connect(daemon(tb.concentrator()));
        DaemonClient headEndDaemon = DaemonClient.connect(daemon(tb.headEnd()))) {
      // both ends derive the same keys for this epoch, the next one (renewal) and the previous one (grace)
      DlmsKeys now = new DrkeyKeySource(meterDaemon).current(meter, headEnd);
      for (java.time.Instant at : List.of(now.epochBegin(), now.epochEnd(), now.epochBegin().minusMillis(1))) {
        assertThat(new DrkeyKeySource(meterDaemon).keysAt(meter, headEnd, at))
            .isEqualTo(new DrkeyKeySource(headEndDaemon).keysAt(meter, headEnd, at));
      }
      // the other direction (meter as source) is what hidden paths break: the head-end AS's control service
      // would have to fetch the level-1 key from the concentrator AS, and it does not use hidden segments
      assertThatThrownBy(() -> headEndDaemon.drKeyHostHost(now.epochBegin(), DrkeyKeySource.DEFAULT_PROTOCOL, meter,
          headEnd)).isInstanceOf(org.s3mp.scion.daemon.DaemonException.class).hasMessageContaining("not reachable");
      // scionproto's paths from the head-end include some through ISD 2: the geofence has something to exclude
      assertThat(scionprotoPaths(tb.headEnd(), tb.concentrator())).anyMatch(p -> p.contains(" 2-"));
      try (MeterAgent agent = drkeyMeter(data, meterDaemon, "IT-HIDDEN-DRKEY");
          MeterClient c = drkeyClient(agent)) {
        assertThat(c.readSerialNumber()).isEqualTo("IT-HIDDEN-DRKEY");
        Reads reads = new Reads(c);
        reads.until(5, p -> true);
        List<String> itfs = c.lastPath().orElseThrow().interfaces();
        cut = Interface.parse(itfs.get(itfs.size() - 1)); // where the readings enter the concentrator
        String cutItf = cut.toString();
        tb.linkDown(cut);
        reads.until(5, p -> !p.contains(cutItf));
        tb.linkUp(cut);
        assertThat(reads.failures).isEmpty();
        assertThat(reads.paths).hasSizeGreaterThanOrEqualTo(2);
        assertThat(reads.isds).containsExactly(1);
      }
    } finally {
      if (cut != null && tb.isLinkDown(cut)) {
        tb.linkUp(cut);
      }
    }
    // a policy no hidden path satisfies fails closed, naming the policy
    assertThatThrownBy(() -> MeterClient.open(MeterUrl.parse("scion://" + tb.concentrator() + ",[" + ip + "]:4059"),
        ClientSecurity.fromNetwork(), LinkOptions.of(Duration.ofSeconds(2))
            .with(LinkOptions.SCION_DAEMON, daemon(tb.headEnd()))
            .with(LinkOptions.PATH_POLICY, "{\"name\": \"only-via-france\", \"allowed_countries\": [\"FR\"]}")))
        .isInstanceOf(IOException.class).hasMessageContaining("only-via-france");
  }

  /** Reading across two DRKey epoch changes under hidden paths loses nothing: the meter's AS gets each new key. */
  @Test
  void drkeyKeysAreRenewedEveryEpochOverHiddenPathsWithoutLosingAReading(@TempDir Path data) throws Exception {
    try (DaemonClient meterDaemon = DaemonClient.connect(daemon(tb.concentrator()));
        MeterAgent agent = drkeyMeter(data, meterDaemon, "IT-HIDDEN-ROTATE");
        MeterClient c = drkeyClient(agent)) {
      Reads reads = new Reads(c);
      reads.untilKeyIds(3, DRKEY_EPOCH.multipliedBy(3));
      System.out.printf("DRKey rotation over hidden paths: %d readings, key ids %s%n", reads.count, reads.keyIds);
      assertThat(reads.failures).isEmpty();
      assertThat(reads.isds).containsExactly(1);
    }
  }

  /** A simulated meter in the concentrator AS with DRKey keys, trusting the head-end's host. */
  private static MeterAgent drkeyMeter(Path data, DaemonClient meterDaemon, String serial) throws IOException {
    String ip = tb.hostAddress(tb.concentrator()).getHostAddress();
    DrkeyAssociationKeys keys = new DrkeyAssociationKeys(new DrkeyKeySource(meterDaemon),
        ScionAddress.parse(tb.concentrator() + ",[" + ip + "]:4059"), List.of(DrkeyAssociationKeys.TrustedHeadEnd
            .parse(tb.headEnd() + "," + tb.hostAddress(tb.headEnd()).getHostAddress())), Duration.ofSeconds(5),
        java.time.Clock.systemUTC());
    return scionMeter(data, keys, serial);
  }

  /** The head-end's client of that meter: DRKey keys, paths inside ISD 1 only, fewest hops first. */
  private static MeterClient drkeyClient(MeterAgent agent) throws IOException {
    return MeterClient.open(agent.endpoints().get(0), ClientSecurity.fromNetwork(),
        LinkOptions.of(Duration.ofSeconds(3)).with(LinkOptions.SCION_DAEMON, daemon(tb.headEnd()))
            .with(LinkOptions.PATH_POLICY, "{\"name\": \"isd1-only\", \"allowed_isds\": [1], \"order\": \"hops\"}"));
  }

  /**
   * Reads every 200 ms, recording failures, the paths taken (interfaces joined by spaces), their ISDs and the
   * DRKey key ids.
   */
  private static final class Reads {
    final MeterClient client;
    final List<String> failures = new ArrayList<>();
    final Set<String> paths = new java.util.LinkedHashSet<>();
    final Set<Integer> isds = new java.util.TreeSet<>();
    final Set<String> keyIds = new java.util.LinkedHashSet<>();
    int count;
    long next = System.nanoTime();

    Reads(MeterClient client) {
      this.client = client;
    }

    /** Reads until {@code n} readings in a row took a path that {@code ok} accepts (deadline 60 s). */
    void until(int n, java.util.function.Predicate<String> ok) throws InterruptedException {
      long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
      int inRow = 0;
      while (inRow < n) {
        assertThat(System.nanoTime()).as("readings settling within 60 s; paths so far " + paths).isLessThan(deadline);
        String path = readOnce();
        inRow = path != null && ok.test(path) ? inRow + 1 : 0;
      }
    }

    /** Reads until the readings have used {@code n} different DRKey key ids (epochs), within {@code max}. */
    void untilKeyIds(int n, Duration max) throws InterruptedException {
      long deadline = System.nanoTime() + max.toNanos();
      while (keyIds.size() < n) {
        assertThat(System.nanoTime()).as("key ids within " + max + ": " + keyIds).isLessThan(deadline);
        readOnce();
      }
    }

    /** One reading on the schedule; the path it took, or null when it failed. */
    private String readOnce() throws InterruptedException {
      String path = null;
      try {
        assertThat(client.readRegister(MeterObjects.ACTIVE_POWER_IMPORT).value()).isPositive();
        count++;
        var p = client.lastPath().orElseThrow();
        path = String.join(" ", p.interfaces());
        paths.add(path);
        isds.addAll(p.isds());
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("key id ([0-9a-f]+)")
            .matcher(client.securityInfo());
        assertThat(m.find()).as(client.securityInfo()).isTrue();
        keyIds.add(m.group(1));
      } catch (IOException e) {
        failures.add(e.getMessage());
      }
      next += Duration.ofMillis(200).toNanos();
      long wait = next - System.nanoTime();
      if (wait > 0) {
        Thread.sleep(wait / 1_000_000); // the reading schedule, not a synchronisation
      }
      return path;
    }
  }

  @Test
  void theFloodBenchmarkShowsTheOutsiderCannotSendAtAll() throws Exception {
    Path out = tmp.resolve("flood");
    Cli.Result r = Cli.run("bench", "flood", "--duration", "1", "--rate", "100", "--testbed-dir", runDir.toString(),
        "--out", out.toString());
    assertThat(r.exitCode()).as(r.out() + r.err()).isZero();
    JsonNode json = new ObjectMapper().readTree(out.resolve("flood.json").toFile());
    assertThat(json.path("outsiderPath").isNull()).isTrue();
    assertThat(json.path("sent").asLong()).isZero();
    assertThat(json.path("quiet").path("delay").path("count").asInt()).isPositive();
    assertThat(Files.readString(out.resolve("report.md"))).contains("The outsider found no path to the meter");
  }
}
