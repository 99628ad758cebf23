package org.s3mp.scion.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.s3mp.scion.EpicAuths;
import org.s3mp.scion.IsdAs;
import org.s3mp.scion.PathInterface;
import org.s3mp.scion.ScionAddress;
import org.s3mp.scion.ScionPath;
import org.s3mp.scion.daemon.DaemonClient;
import org.s3mp.scion.packet.EpicHvf;
import org.s3mp.scion.packet.HostAddress;
import org.s3mp.scion.packet.ScionHeader;
import org.s3mp.scion.packet.ScionPacket;
import org.s3mp.scion.packet.StandardPath;
import org.s3mp.scion.packet.UdpDatagram;
import org.s3mp.scion.path.PathSelector;
import org.s3mp.scion.policy.PathPolicy;
import org.s3mp.scion.socket.ReceivedDatagram;
import org.s3mp.scion.socket.ScionDatagramSocket;
import org.s3mp.testbed.Testbed;
import org.s3mp.testbed.TopologySpec.Interface;

/**
 * EPIC-HP on the real scionproto v0.15.1 testbed (control services beacon with {@code beaconing.epic}): the daemons
 * hand out authenticators, the routers forward our EPIC packets and drop those with a wrong PHVF, LHVF or an untimely
 * timestamp (and count them), and scionproto's {@code scion ping --epic} reaches our end host.
 */
class EpicIT {
  /** Common header 12 B, two ISD-ASes 16 B, two IPv4 hosts 8 B, then the EPIC PktID 8 B: the PHVF, then the LHVF. */
  private static final int PHVF_OFFSET = 12 + 16 + 8 + 8;
  private static final int LHVF_OFFSET = PHVF_OFFSET + 4;
  private static final Duration WAIT = Duration.ofSeconds(20);

  private static Testbed tb;
  private static IsdAs meterAs;
  private static IsdAs headEndAs;
  private static DaemonClient meterDaemon;
  private static DaemonClient headEndDaemon;

  @BeforeAll
  static void up() throws IOException {
    tb = Testbed.shared();
    meterAs = IsdAs.parse(tb.concentrator());
    headEndAs = IsdAs.parse(tb.headEnd());
    meterDaemon = daemon(meterAs);
    headEndDaemon = daemon(headEndAs);
  }

  @AfterAll
  static void close() {
    if (meterDaemon != null) {
      meterDaemon.close();
    }
    if (headEndDaemon != null) {
      headEndDaemon.close();
    }
  }

  private static DaemonClient daemon(IsdAs ia) {
    var sa = tb.daemonAddress(ia.toString());
    return DaemonClient.connect(sa.getAddress().getHostAddress() + ":" + sa.getPort());
  }

  private static InetAddress host(IsdAs ia) {
    return tb.hostAddress(ia.toString());
  }

  private static PathSelector epicSelector() throws Exception {
    return PathSelector.create(headEndDaemon, headEndAs, PathPolicy.builder("epic").epic(true).build());
  }

  @Test
  void daemonsHandOutEpicAuthenticatorsWithEveryPath() throws Exception {
    for (IsdAs[] pair : new IsdAs[][] {{headEndAs, meterAs}, {meterAs, headEndAs}}) {
      DaemonClient d = pair[0].equals(headEndAs) ? headEndDaemon : meterDaemon;
      List<ScionPath> paths = d.paths(pair[0], pair[1], false);
      assertThat(paths).as("paths %s -> %s", pair[0], pair[1]).isNotEmpty();
      // every AS beacons with EPIC, so every path has both authenticators, and they differ (two hops' MACs)
      assertThat(paths).allSatisfy(p -> assertThat(p.epicAuths()).as(p.hops()).hasValueSatisfying(a ->
          assertThat(a.authPhvf()).hasSize(EpicAuths.LENGTH).isNotEqualTo(a.authLhvf())));
    }
  }

  @Test
  void routersForwardOurEpicPacketsAndDropTamperedOrUntimelyOnes() throws Exception {
    try (ScionDatagramSocket meter = ScionDatagramSocket.open(meterDaemon, host(meterAs), 0);
        ScionDatagramSocket headEnd = ScionDatagramSocket.open(headEndDaemon, host(headEndAs), 0);
        DatagramSocket forger = new DatagramSocket(new InetSocketAddress(host(headEndAs), 0))) {
      headEnd.useEpic(true);
      ScionPath path = epicSelector().select(meterAs);
      EpicAuths auths = path.epicAuths().orElseThrow();
      List<PathInterface> ifs = path.interfaces();
      // the penultimate hop is checked by the router that sends the packet into the meter's AS, the last hop by
      // the meter AS's router that receives it
      Interface penultimate = new Interface(ifs.get(ifs.size() - 2).isdAs().toString(),
          (int) ifs.get(ifs.size() - 2).id());
      Interface last = new Interface(ifs.get(ifs.size() - 1).isdAs().toString(), (int) ifs.get(ifs.size() - 1).id());
      long penultimateDrops = tb.routerDroppedInvalid(penultimate);
      long lastDrops = tb.routerDroppedInvalid(last);

      for (int i = 0; i < 3; i++) {
        headEnd.send(("good " + i).getBytes(StandardCharsets.US_ASCII), meter.localAddress(), path);
        ReceivedDatagram d = meter.receive(WAIT);
        assertThat(d).as("EPIC datagram %d over %s", i, path.hops()).isNotNull();
        assertThat(new String(d.payload(), StandardCharsets.US_ASCII)).isEqualTo("good " + i);
      }
      assertThat(headEnd.epicSentCount()).isEqualTo(3);
      assertThat(meter.epicReceivedCount()).isEqualTo(3);

      // Forged packets from the same source address (so only the validation fields are wrong): a flipped PHVF
      // bit, a flipped LHVF bit, and correct fields for a send time 5 s ahead (routers allow 1 s of clock skew;
      // an old one cannot be forged reliably: the segments' info timestamps are only seconds old here).
      ScionAddress from = new ScionAddress(headEndAs, host(headEndAs), forger.getLocalPort());
      InetSocketAddress nextHop = path.nextHop().orElseThrow();
      int n = 4;
      for (int i = 0; i < n; i++) {
        send(forger, tampered(forged(from, meter.localAddress(), path, "bad phvf", 1000 + i, Instant.now()),
            PHVF_OFFSET), nextHop);
        send(forger, tampered(forged(from, meter.localAddress(), path, "bad lhvf", 2000 + i, Instant.now()),
            LHVF_OFFSET), nextHop);
        send(forger, forged(from, meter.localAddress(), path, "ahead", 3000 + i, Instant.now().plusSeconds(5)),
            nextHop);
      }
      // and the forger's own correct packet passes: the forged ones failed only for their fields
      send(forger, forged(from, meter.localAddress(), path, "forger, correct", 4000, Instant.now()), nextHop);
      ReceivedDatagram d = meter.receive(WAIT);
      assertThat(d).isNotNull();
      assertThat(new String(d.payload(), StandardCharsets.US_ASCII)).isEqualTo("forger, correct");
      // PHVF and timestamp are checked at the penultimate hop, the LHVF at the last one
      await().atMost(WAIT).pollInterval(Duration.ofMillis(200)).untilAsserted(() -> {
        assertThat(tb.routerDroppedInvalid(penultimate) - penultimateDrops).as("drops at %s", penultimate)
            .isGreaterThanOrEqualTo(2L * n);
        assertThat(tb.routerDroppedInvalid(last) - lastDrops).as("drops at %s", last).isGreaterThanOrEqualTo(n);
      });
      System.out.printf("EPIC: %d forged packets; router %s dropped %d as invalid, router %s %d%n", 3 * n,
          penultimate, tb.routerDroppedInvalid(penultimate) - penultimateDrops, last,
          tb.routerDroppedInvalid(last) - lastDrops);
      assertThat(meter.receive(Duration.ofMillis(1))).as("nothing forged got through").isNull();
      assertThat(meter.epicReceivedCount()).isEqualTo(4);
    }
  }

  private static byte[] forged(ScionAddress from, ScionAddress to, ScionPath path, String text, long counter,
      Instant sentAt) throws Exception {
    ScionHeader h = ScionHeader.of(0x5eed, to.isdAs(), HostAddress.of(to.host()), from.isdAs(),
        HostAddress.of(from.host()));
    ScionPacket p = new ScionPacket(h, StandardPath.decode(path.raw()),
        new UdpDatagram(from.port(), to.port(), text.getBytes(StandardCharsets.US_ASCII)));
    return EpicHvf.seal(p, path.epicAuths().orElseThrow(), counter, sentAt);
  }

  private static byte[] tampered(byte[] wire, int offset) {
    wire[offset] ^= 0x01;
    return wire;
  }

  private static void send(DatagramSocket s, byte[] wire, InetSocketAddress to) throws IOException {
    s.send(new DatagramPacket(wire, wire.length, to));
  }

  @Test
  void scionprotoPingWithEpicReachesOurEndHost() throws Exception {
    // Not the AS's own address: the testbed's dispatcher answers echo requests at that address's port 30041.
    byte[] ip = host(meterAs).getAddress();
    ip[3] = 77;
    InetAddress endHost = InetAddress.getByAddress(ip);
    try (ScionDatagramSocket s = ScionDatagramSocket.open(meterDaemon, endHost,
        ScionDatagramSocket.ENDHOST_DEFAULT_PORT)) {
      AtomicBoolean stop = new AtomicBoolean();
      List<Throwable> failures = new ArrayList<>();
      Thread answering = new Thread(() -> {
        try {
          while (!stop.get()) {
            s.receive(Duration.ofMillis(200)); // echo requests are answered inside
          }
        } catch (IOException e) {
          if (!stop.get()) {
            failures.add(e);
          }
        }
      }, "epic-echo");
      answering.start();
      try {
        String dst = meterAs + "," + endHost.getHostAddress();
        assertThat(tb.ping(headEndAs.toString(), dst, 3, null, true)).as("scion ping --epic %s", dst).isTrue();
        assertThat(s.epicReceivedCount()).as("echo requests that arrived as EPIC").isGreaterThanOrEqualTo(3);
      } finally {
        stop.set(true);
        answering.join();
      }
      assertThat(failures).isEmpty();
    }
  }
}
