package org.s3mp.scion.it;

import static org.assertj.core.api.Assertions.assertThat;

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
      // Beaconing may still add paths: compare until both agree on at least the two disjoint ones (deadline).
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      Set<List<String>> ours;
      Set<List<String>> theirs;
      do {
        ours = d.paths(pair[0], pair[1], false).stream().map(ScionEndHostIT::hops).collect(Collectors.toSet());
        theirs = tb.showpaths(pair[0].toString(), pair[1].toString(), false).stream().map(Testbed.ScionPath::hops)
            .collect(Collectors.toSet());
      } while ((!ours.equals(theirs) || ours.size() < 2) && System.nanoTime() < deadline);
      assertThat(ours).as("paths %s -> %s", pair[0], pair[1]).isEqualTo(theirs);
      assertThat(ours).hasSizeGreaterThanOrEqualTo(2);
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
              Duration.ofSeconds(2), 3);
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
      var rp = socket.receivePacket(Duration.ofMillis(200));
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
    // There must be something to avoid: wait (polling, with a deadline) until beaconing brought ISD-2 paths.
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    List<ScionPath> all = daemonA.paths(a, b, false);
    while (all.stream().noneMatch(ScionEndHostIT::crossesIsd2) && System.nanoTime() < deadline) {
      all = daemonA.paths(a, b, true);
    }
    assertThat(all).anyMatch(ScionEndHostIT::crossesIsd2);
    try (Server server = new Server();
        ScionDatagramClient client = new ScionDatagramClient(ScionDatagramSocket.open(daemonA, host(a), 0),
            PathSelector.create(daemonA, a, isd1))) {
      List<ScionPath> compliant = client.selector().compliantPaths(b);
      assertThat(compliant).isNotEmpty().allMatch(p -> p.isdAses().stream().allMatch(ia -> ia.isd() == 1));
      Set<String> used = new HashSet<>();
      for (int i = 0; i < 2 * compliant.size(); i++) {
        ScionDatagramClient.Response r = client.request(server.socket.localAddress(), new byte[] {(byte) i},
            Duration.ofSeconds(2), 3);
        assertThat(r.path().isdAses()).allMatch(ia -> ia.isd() == 1);
        used.add(r.path().fingerprint());
        client.selector().reportTimeout(r.path()); // push the selector through every compliant path
      }
      assertThat(used).hasSize(compliant.size());
    }
  }

  /** Right after start-up beaconing may not have found both uplinks yet: wait for them (deadline 60 s). */
  private static void awaitBothUplinks() throws IOException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    Set<PathInterface> uplinks = new HashSet<>();
    while (System.nanoTime() < deadline) {
      uplinks.clear();
      for (ScionPath p : daemonA.paths(a, b, true)) {
        uplinks.add(p.interfaces().get(0));
      }
      if (uplinks.size() >= 2) {
        return;
      }
    }
    throw new AssertionError("only uplinks " + uplinks + " of " + a + " have paths to " + b + " after 60 s");
  }

  @Test
  void failsOverWhenTheActiveLinkGoesDown() throws Exception {
    awaitBothUplinks();
    try (Server server = new Server();
        ScionDatagramClient client = new ScionDatagramClient(ScionDatagramSocket.open(daemonA, host(a), 0),
            PathSelector.create(daemonA, a, PathPolicy.builder("shortest").order(PathPolicy.Order.HOPS).build()))) {
      CopyOnWriteArrayList<ScmpMessage> scmp = new CopyOnWriteArrayList<>();
      client.socket().addScmpErrorListener(scmp::add);
      ScionAddress dst = server.socket.localAddress();
      ScionDatagramClient.Response first = client.request(dst, "before".getBytes(StandardCharsets.UTF_8),
          Duration.ofSeconds(2), 3);
      PathInterface uplink = first.path().interfaces().get(0);
      Interface cut = new Interface(uplink.isdAs().toString(), (int) uplink.id());
      tb.linkDown(cut);
      try {
        // Once BFD notices the cut (~0.6 s), the real router answers traffic for that link with SCMP type 5:
        // keep sending over the old path until it does (deadline 10 s).
        ScmpMessage.ExternalInterfaceDown down = awaitInterfaceDown(client.socket(), dst, first.path());
        assertThat(new PathInterface(down.isdAs(), down.interfaceId())).isEqualTo(uplink);
        assertThat(client.selector().isFaulty(first.path())).isTrue();
        List<ScionPath> used = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
          ScionDatagramClient.Response r = client.request(dst, ("during" + i).getBytes(StandardCharsets.UTF_8),
              Duration.ofMillis(700), 4);
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
    // The first request makes the head-end's daemon fetch the level-1 key from the meter AS's control
    // service; poll (deadline 60 s) while the control services still warm up.
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    org.s3mp.scion.daemon.DrKey atA = null;
    org.s3mp.scion.daemon.DrKey atB = null;
    while (atB == null) {
      try {
        atA = daemonA.drKeyHostHost(now, 4059, meter, headEnd);
        atB = daemonB.drKeyHostHost(now, 4059, meter, headEnd);
      } catch (org.s3mp.scion.daemon.DaemonException e) {
        if (System.nanoTime() > deadline) {
          throw e;
        }
      }
    }
    assertThat(atA.key()).hasSize(16).isEqualTo(atB.key());
    assertThat(atA.epochBegin()).isBeforeOrEqualTo(now);
    assertThat(atA.epochEnd()).isAfter(now);
    var other = daemonA.drKeyHostHost(now, 4060, meter, headEnd);
    assertThat(other.key()).isNotEqualTo(atA.key());
  }

  /** A measurement for the report, not a timing assertion: our stack over two ASes vs plain UDP on loopback. */
  @Test
  void measureRoundTripAgainstPlainUdp() throws Exception {
    int n = 300;
    byte[] payload = new byte[64];
    long scionNanos;
    try (Server server = new Server();
        ScionDatagramClient client = new ScionDatagramClient(ScionDatagramSocket.open(daemonA, host(a), 0),
            PathSelector.create(daemonA, a, PathPolicy.builder("shortest").order(PathPolicy.Order.HOPS).build()))) {
      for (int i = 0; i < 50; i++) {
        client.request(server.socket.localAddress(), payload, Duration.ofSeconds(2), 3); // warm-up
      }
      long t0 = System.nanoTime();
      for (int i = 0; i < n; i++) {
        client.request(server.socket.localAddress(), payload, Duration.ofSeconds(2), 3);
      }
      scionNanos = (System.nanoTime() - t0) / n;
    }
    // The same exchange inside one AS (empty path, no routers): the cost of our stack alone.
    long localNanos;
    try (ScionDatagramSocket srv = ScionDatagramSocket.open(daemonA, host(a), 0);
        ScionDatagramClient client = new ScionDatagramClient(ScionDatagramSocket.open(daemonA, host(a), 0),
            PathSelector.create(daemonA, a, PathPolicy.allowAll()))) {
      Thread t = new Thread(() -> {
        try {
          while (true) {
            ReceivedDatagram d = srv.receive(Duration.ofSeconds(30));
            if (d == null) {
              return;
            }
            srv.reply(d, d.payload());
          }
        } catch (IOException closed) {
          // done
        }
      });
      t.start();
      for (int i = 0; i < 50; i++) {
        client.request(srv.localAddress(), payload, Duration.ofSeconds(2), 3);
      }
      long t0 = System.nanoTime();
      for (int i = 0; i < n; i++) {
        assertThat(client.request(srv.localAddress(), payload, Duration.ofSeconds(2), 3).path().isLocal()).isTrue();
      }
      localNanos = (System.nanoTime() - t0) / n;
      srv.close();
      t.join(5000);
    }
    long udpNanos;
    try (java.net.DatagramSocket echo = new java.net.DatagramSocket(0, InetAddress.getLoopbackAddress());
        java.net.DatagramSocket c = new java.net.DatagramSocket(0, InetAddress.getLoopbackAddress())) {
      Thread t = new Thread(() -> {
        byte[] buf = new byte[2048];
        try {
          while (true) {
            java.net.DatagramPacket p = new java.net.DatagramPacket(buf, buf.length);
            echo.receive(p);
            echo.send(new java.net.DatagramPacket(buf, p.getLength(), p.getSocketAddress()));
          }
        } catch (IOException closed) {
          // done
        }
      });
      t.start();
      c.setSoTimeout(2000);
      byte[] in = new byte[2048];
      for (int i = 0; i < 50; i++) { // warm-up
        c.send(new java.net.DatagramPacket(payload, payload.length, echo.getLocalSocketAddress()));
        c.receive(new java.net.DatagramPacket(in, in.length));
      }
      long t0 = System.nanoTime();
      for (int i = 0; i < n; i++) {
        c.send(new java.net.DatagramPacket(payload, payload.length, echo.getLocalSocketAddress()));
        c.receive(new java.net.DatagramPacket(in, in.length));
      }
      udpNanos = (System.nanoTime() - t0) / n;
      echo.close();
      t.join(2000);
    }
    System.out.printf("round trip, 64-byte payload, mean of %d: SCION across 3 ASes (real routers) %.1f us,"
        + " SCION inside one AS (our stack only) %.1f us, plain UDP loopback %.1f us; ratios %.1f and %.1f%n", n,
        scionNanos / 1e3, localNanos / 1e3, udpNanos / 1e3, (double) scionNanos / udpNanos,
        (double) localNanos / udpNanos);
    assertThat(scionNanos).isPositive();
  }
}
