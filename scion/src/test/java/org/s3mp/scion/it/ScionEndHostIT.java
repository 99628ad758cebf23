package org.s3mp.scion.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.s3mp.scion.IsdAs;
import org.s3mp.scion.PathInterface;
import org.s3mp.scion.ScionAddress;
import org.s3mp.scion.ScionPath;
import org.s3mp.scion.daemon.DaemonClient;
import org.s3mp.scion.packet.ScionPacket;
import org.s3mp.scion.packet.ScmpMessage;
import org.s3mp.scion.path.PathSelector;
import org.s3mp.scion.policy.PathPolicy;
import org.s3mp.scion.socket.ReceivedDatagram;
import org.s3mp.scion.socket.ScionDatagramClient;
import org.s3mp.scion.socket.ScionDatagramSocket;
import org.s3mp.scion.socket.ScionPing;
import org.s3mp.testbed.Testbed;
import org.s3mp.testbed.TopologySpec.Interface;

/** Our SCION end host against the real scionproto testbed (routers verify every MAC and hop pointer). */
class ScionEndHostIT {
  private static Testbed tb;
  private static IsdAs a;
  private static IsdAs b;
  private static DaemonClient daemonA;
  private static DaemonClient daemonB;

  @BeforeAll
  static void up() throws IOException {
    tb = Testbed.shared();
    a = IsdAs.parse(tb.concentrator());
    b = IsdAs.parse(tb.headEnd());
    daemonA = daemon(a);
    daemonB = daemon(b);
  }

  @AfterAll
  static void close() {
    if (daemonA != null) {
      daemonA.close();
    }
    if (daemonB != null) {
      daemonB.close();
    }
  }

  private static DaemonClient daemon(IsdAs ia) {
    var sa = tb.daemonAddress(ia.toString());
    return DaemonClient.connect(sa.getAddress().getHostAddress() + ":" + sa.getPort());
  }

  private static InetAddress host(IsdAs ia) {
    return tb.hostAddress(ia.toString());
  }

  private static List<String> hops(ScionPath p) {
    return p.interfaces().stream().map(i -> i.isdAs() + "#" + i.id()).collect(Collectors.toList());
  }

  @Test
  void showpathsListsWhatScionprotoLists() throws Exception {
    for (IsdAs[] pair : new IsdAs[][] {{a, b}, {b, a}}) {
      DaemonClient d = pair[0].equals(a) ? daemonA : daemonB;
      // The testbed returns once beaconing has converged; the two daemon queries still race a refresh, so
      // compare until both agree (deadline), then hold them to it.
      Set<List<String>> ours = new HashSet<>();
      Set<List<String>> theirs = new HashSet<>();
      await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(500)).ignoreExceptions().until(() -> {
        ours.clear();
        theirs.clear();
        d.paths(pair[0], pair[1], false).stream().map(ScionEndHostIT::hops).forEach(ours::add);
        tb.showpaths(pair[0].toString(), pair[1].toString(), false).stream().map(Testbed.ScionPath::hops)
            .forEach(theirs::add);
        return ours.equals(theirs);
      });
      assertThat(ours).as("paths %s -> %s", pair[0], pair[1]).isEqualTo(theirs);
      // both disjoint ones (via 110 and via 120) and one through ISD 2
      assertThat(ours.stream().map(h -> h.get(0)).distinct()).hasSize(2);
      assertThat(ours).anyMatch(h -> h.stream().anyMatch(i -> i.startsWith("2-")));
    }
  }

  @Test
  void pingGetsReplies() throws Exception {
    try (ScionDatagramSocket s = ScionDatagramSocket.open(daemonA, host(a), 0)) {
      ScionPath path = PathSelector.create(daemonA, a, PathPolicy.allowAll()).select(b);
      for (int seq = 0; seq < 3; seq++) {
        ScionPing.Result r = ScionPing.echo(s, new ScionAddress(b, host(b), 0), path, seq, 32, Duration.ofSeconds(2));
        assertThat(r.replied()).as("echo %d over %s (error %s)", seq, path.hops(), r.error()).isTrue();
      }
    }
  }

  @Test
  void udpRequestResponseBetweenProcessesInTwoAses() throws Exception {
    var sa = tb.daemonAddress(b.toString());
    Process responder = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", System.getProperty("java.class.path"), UdpResponderMain.class.getName(),
        sa.getAddress().getHostAddress() + ":" + sa.getPort(), host(b).getHostAddress(), "0")
        .redirectErrorStream(true).start();
    try {
      BufferedReader out = new BufferedReader(new InputStreamReader(responder.getInputStream(), StandardCharsets.UTF_8));
      CompletableFuture<String> ready = CompletableFuture.supplyAsync(() -> {
        try {
          for (String line; (line = out.readLine()) != null; ) {
            if (line.startsWith("READY ")) {
              return line.substring(6);
            }
          }
          return null;
        } catch (IOException e) {
          return null;
        }
      });
      String address = ready.get(30, TimeUnit.SECONDS);
      assertThat(address).as("responder process started").isNotNull();
      ScionAddress server = ScionAddress.parse(address);
      try (ScionDatagramClient client = new ScionDatagramClient(ScionDatagramSocket.open(daemonA, host(a), 0),
          PathSelector.create(daemonA, a, PathPolicy.allowAll()))) {
        for (int i = 0; i < 5; i++) {
          ScionDatagramClient.Response r = client.request(server, ("req" + i).getBytes(StandardCharsets.UTF_8),
              Duration.ofSeconds(6));
          assertThat(new String(r.payload(), StandardCharsets.UTF_8)).isEqualTo("echo:req" + i);
          assertThat(r.path().source()).isEqualTo(a);
          assertThat(r.path().destination()).isEqualTo(b);
        }
      }
    } finally {
      responder.destroy();
      if (!responder.waitFor(5, TimeUnit.SECONDS)) {
        responder.destroyForcibly();
      }
    }
  }

  /** An in-JVM server in the head-end AS answering "re:" + payload until closed. */
  private static final class Server implements AutoCloseable {
    final ScionDatagramSocket socket;
    final Thread thread;

    Server() throws IOException {
      socket = ScionDatagramSocket.open(daemonB, host(b), 0);
      thread = new Thread(() -> {
        try {
          while (true) {
            ReceivedDatagram d = socket.receive(Duration.ofMinutes(2));
            if (d == null) {
              return;
            }
            socket.reply(d, ("re:" + new String(d.payload(), StandardCharsets.UTF_8)).getBytes(StandardCharsets.UTF_8));
          }
        } catch (IOException closed) {
          // done
        }
      }, "it-server");
      thread.start();
    }

    @Override
    public void close() throws InterruptedException {
      socket.close();
      thread.join(5000);
    }
  }

  private static ScmpMessage.ExternalInterfaceDown awaitInterfaceDown(ScionDatagramSocket socket, ScionAddress dst,
      ScionPath path) throws IOException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (System.nanoTime() < deadline) {
      socket.send("probe".getBytes(StandardCharsets.UTF_8), dst, path);
      var rp = socket.receivePacket(Duration.ofMillis(200)); // blocks: at most 5 sends a second
      if (rp != null && rp.packet().l4() instanceof ScmpMessage.ExternalInterfaceDown down) {
        System.out.println("SCMP external interface down from the real router: "
            + java.util.HexFormat.of().formatHex(rp.packet().encode()));
        socket.handle(rp);
        return down;
      }
      if (rp != null) {
        socket.handle(rp);
      }
    }
    throw new AssertionError("no SCMP external interface down within 10 s over " + path.hops());
  }

  private static boolean crossesIsd2(ScionPath p) {
    return p.isdAses().stream().anyMatch(ia -> ia.isd() == 2);
  }

  @Test
  void isd1OnlyPolicyNeverUsesIsd2() throws Exception {
    PathPolicy isd1 = PathPolicy.acl("isd1-only", "- 2", "+");
    // There must be something to avoid (the testbed is up only once ISD-2 paths exist).
    assertThat(daemonA.paths(a, b, false)).anyMatch(ScionEndHostIT::crossesIsd2);
    try (Server server = new Server();
        ScionDatagramClient client = new ScionDatagramClient(ScionDatagramSocket.open(daemonA, host(a), 0),
            PathSelector.create(daemonA, a, isd1))) {
      List<ScionPath> compliant = client.selector().compliantPaths(b);
      assertThat(compliant).isNotEmpty().allMatch(p -> p.isdAses().stream().allMatch(ia -> ia.isd() == 1));
      Set<String> used = new HashSet<>();
      for (int i = 0; i < 2 * compliant.size(); i++) {
        ScionDatagramClient.Response r = client.request(server.socket.localAddress(), new byte[] {(byte) i},
            Duration.ofSeconds(6));
        assertThat(r.path().isdAses()).allMatch(ia -> ia.isd() == 1);
        used.add(r.path().fingerprint());
        client.selector().reportTimeout(r.path()); // push the selector through every compliant path
      }
      assertThat(used).hasSize(compliant.size());
    }
  }

  @Test
  void failsOverWhenTheActiveLinkGoesDown() throws Exception {
    // the testbed is up only once paths over both uplinks exist
    assertThat(daemonA.paths(a, b, false).stream().map(p -> p.interfaces().get(0)).distinct()).hasSize(2);
    try (Server server = new Server();
        ScionDatagramClient client = new ScionDatagramClient(ScionDatagramSocket.open(daemonA, host(a), 0),
            PathSelector.create(daemonA, a, PathPolicy.builder("shortest").order(PathPolicy.Order.HOPS).build()))) {
      CopyOnWriteArrayList<ScmpMessage> scmp = new CopyOnWriteArrayList<>();
      client.socket().addScmpErrorListener(scmp::add);
      ScionAddress dst = server.socket.localAddress();
      ScionDatagramClient.Response first = client.request(dst, "before".getBytes(StandardCharsets.UTF_8),
          Duration.ofSeconds(6));
      PathInterface uplink = first.path().interfaces().get(0);
      Interface cut = new Interface(uplink.isdAs().toString(), (int) uplink.id());
      tb.linkDown(cut);
      try {
        // linkDown returns once BFD noticed the cut: the real router answers traffic for that link with SCMP type 5
        ScmpMessage.ExternalInterfaceDown down = awaitInterfaceDown(client.socket(), dst, first.path());
        assertThat(new PathInterface(down.isdAs(), down.interfaceId())).isEqualTo(uplink);
        assertThat(client.selector().isFaulty(first.path())).isTrue();
        List<ScionPath> used = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
          ScionDatagramClient.Response r = client.request(dst, ("during" + i).getBytes(StandardCharsets.UTF_8),
              Duration.ofSeconds(3));
          assertThat(new String(r.payload(), StandardCharsets.UTF_8)).isEqualTo("re:during" + i);
          used.add(r.path());
        }
        // Traffic continued, and after the switch it never used the cut uplink again.
        assertThat(used.get(used.size() - 1).interfaces()).doesNotContain(uplink);
        assertThat(used.get(used.size() - 1).fingerprint()).isNotEqualTo(first.path().fingerprint());
        // Any SCMP error that came back from the real router is well-formed and names the cut link.
        for (ScmpMessage m : scmp) {
          if (m instanceof ScmpMessage.ExternalInterfaceDown d) {
            assertThat(new PathInterface(d.isdAs(), d.interfaceId())).isEqualTo(uplink);
          }
        }
      } finally {
        tb.linkUp(cut);
      }
      System.out.printf("failover: %d SCMP errors seen, %d malformed packets%n", scmp.size(),
          client.socket().malformedCount());
      assertThat(client.socket().malformedCount()).isZero();
      assertThat(ScionPacket.malformedCount()).isZero();
    }
  }

  @Test
  void bothEndsGetTheSameHostToHostDrKey() throws Exception {
    ScionAddress meter = new ScionAddress(a, host(a), 0);
    ScionAddress headEnd = new ScionAddress(b, host(b), 0);
    java.time.Instant now = java.time.Instant.now();
    // S3MP's direction: the head-end's host is the source, so the first request at the meter makes the meter AS's
    // control service fetch the level-1 key from the head-end AS's; poll (deadline 60 s) while they warm up.
    org.s3mp.scion.daemon.DrKey atA = await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(250))
        .ignoreException(org.s3mp.scion.daemon.DaemonException.class)
        .until(() -> daemonA.drKeyHostHost(now, 4059, headEnd, meter), k -> k != null);
    org.s3mp.scion.daemon.DrKey atB = await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(250))
        .ignoreException(org.s3mp.scion.daemon.DaemonException.class)
        .until(() -> daemonB.drKeyHostHost(now, 4059, headEnd, meter), k -> k != null);
    assertThat(atA.key()).hasSize(16).isEqualTo(atB.key());
    assertThat(atA.epochBegin()).isBeforeOrEqualTo(now);
    assertThat(atA.epochEnd()).isAfter(now);
    var other = daemonA.drKeyHostHost(now, 4060, headEnd, meter);
    assertThat(other.key()).isNotEqualTo(atA.key());
  }
}
