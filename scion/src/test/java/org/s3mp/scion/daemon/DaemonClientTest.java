package org.s3mp.scion.daemon;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import com.google.protobuf.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.s3mp.scion.IsdAs;
import org.s3mp.scion.LinkType;
import org.s3mp.scion.ScionAddress;
import org.s3mp.scion.ScionPath;
import org.s3mp.scion.daemon.proto.GeoCoordinates;
import org.s3mp.scion.daemon.proto.Interface;
import org.s3mp.scion.daemon.proto.Path;
import org.s3mp.scion.daemon.proto.PathInterface;
import org.s3mp.scion.daemon.proto.Underlay;

class DaemonClientTest {
  static final IsdAs LOCAL = IsdAs.parse("1-ff00:0:111");
  static final IsdAs CORE = IsdAs.parse("1-ff00:0:110");
  static final IsdAs DST = IsdAs.parse("1-ff00:0:112");

  static Path protoPath() {
    return Path.newBuilder().setRaw(ByteString.copyFrom(new byte[] {1, 2, 3, 4}))
        .setInterface(Interface.newBuilder().setAddress(Underlay.newBuilder().setAddress("127.0.0.11:31002")))
        .addInterfaces(PathInterface.newBuilder().setIsdAs(LOCAL.toLong()).setId(1))
        .addInterfaces(PathInterface.newBuilder().setIsdAs(CORE.toLong()).setId(2))
        .addInterfaces(PathInterface.newBuilder().setIsdAs(CORE.toLong()).setId(3))
        .addInterfaces(PathInterface.newBuilder().setIsdAs(DST.toLong()).setId(4))
        .setMtu(1400).setExpiration(Timestamp.newBuilder().setSeconds(1_900_000_000L))
        .addLatency(com.google.protobuf.Duration.newBuilder().setNanos(5_000_000))
        .addLatency(com.google.protobuf.Duration.newBuilder().setSeconds(0).setNanos(-1))
        .addLatency(com.google.protobuf.Duration.newBuilder().setNanos(7_000_000))
        .addBandwidth(1000).addBandwidth(0).addBandwidth(2000)
        .addGeo(GeoCoordinates.newBuilder().setLatitude(52.1f).setLongitude(11.6f).setAddress("DE"))
        .addGeo(GeoCoordinates.newBuilder().setLatitude(47.4f).setLongitude(8.5f).setAddress("CH"))
        .addGeo(GeoCoordinates.newBuilder().setLatitude(47.4f).setLongitude(8.5f).setAddress("CH"))
        .addGeo(GeoCoordinates.newBuilder().setLatitude(52.5f).setLongitude(13.4f).setAddress("DE"))
        .addLinkType(org.s3mp.scion.daemon.proto.LinkType.LINK_TYPE_DIRECT)
        .addLinkType(org.s3mp.scion.daemon.proto.LinkType.LINK_TYPE_OPEN_NET)
        .addInternalHops(2).addNotes("").addNotes("core 110").addNotes("")
        .build();
  }

  @Test
  void pathsCarryAllMetadata() throws Exception {
    try (FakeDaemon d = new FakeDaemon(LOCAL.toLong()); DaemonClient c = d.client()) {
      d.pathsByDst.put(DST.toLong(), List.of(protoPath()));
      List<ScionPath> paths = c.paths(LOCAL, DST, true);
      assertThat(d.pathRequests.get(0).getRefresh()).isTrue();
      assertThat(d.pathRequests.get(0).getSourceIsdAs()).isEqualTo(LOCAL.toLong());
      assertThat(paths).hasSize(1);
      ScionPath p = paths.get(0);
      assertThat(p.hops()).isEqualTo("[1-ff00:0:111 1>2 1-ff00:0:110 3>4 1-ff00:0:112]");
      assertThat(p.hopCount()).isEqualTo(3);
      assertThat(p.isdAses()).containsExactly(LOCAL, CORE, DST);
      assertThat(p.nextHop().orElseThrow().getAddress().getHostAddress()).isEqualTo("127.0.0.11");
      assertThat(p.nextHop().orElseThrow().getPort()).isEqualTo(31002);
      assertThat(p.mtu()).isEqualTo(1400);
      assertThat(p.expiry()).isEqualTo(Instant.ofEpochSecond(1_900_000_000L));
      assertThat(p.raw()).containsExactly(1, 2, 3, 4);
      assertThat(p.latencies()).containsExactly(Duration.ofMillis(5), Duration.ofNanos(-1), Duration.ofMillis(7));
      assertThat(p.totalLatency()).isEmpty(); // one AS did not announce its latency
      assertThat(p.bandwidths()).containsExactly(1000L, 0L, 2000L);
      assertThat(p.geoAddresses()).containsExactly("DE", "CH");
      assertThat(p.linkTypes()).containsExactly(LinkType.DIRECT, LinkType.OPEN_NET);
      assertThat(p.internalHops()).containsExactly(2);
      assertThat(p.notes()).containsExactly("", "core 110", "");
      assertThat(p.epicAuths()).isEmpty();
    }
  }

  @Test
  void epicAuthenticatorsReachThePathOnlyWhenTheDaemonHasThem() throws Exception {
    byte[] phvf = "0123456789abcdef".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    byte[] lhvf = "fedcba9876543210".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    try (FakeDaemon d = new FakeDaemon(LOCAL.toLong()); DaemonClient c = d.client()) {
      d.pathsByDst.put(DST.toLong(), List.of(
          protoPath().toBuilder().setEpicAuths(org.s3mp.scion.daemon.proto.EpicAuths.newBuilder()
              .setAuthPhvf(ByteString.copyFrom(phvf)).setAuthLhvf(ByteString.copyFrom(lhvf))).build(),
          // what scionproto's daemon sends for a path without EPIC: an empty message
          protoPath().toBuilder().setEpicAuths(org.s3mp.scion.daemon.proto.EpicAuths.getDefaultInstance()).build()));
      List<ScionPath> paths = c.paths(LOCAL, DST, false);
      assertThat(paths.get(0).epicAuths()).hasValueSatisfying(a -> {
        assertThat(a.authPhvf()).isEqualTo(phvf);
        assertThat(a.authLhvf()).isEqualTo(lhvf);
      });
      assertThat(paths.get(1).epicAuths()).isEmpty();
      // a daemon handing out authenticators of the wrong size is refused with a clear message
      d.pathsByDst.put(DST.toLong(), List.of(protoPath().toBuilder().setEpicAuths(
          org.s3mp.scion.daemon.proto.EpicAuths.newBuilder().setAuthPhvf(ByteString.copyFrom(new byte[3]))
              .setAuthLhvf(ByteString.copyFrom(lhvf))).build()));
      assertThatThrownBy(() -> c.paths(LOCAL, DST, false)).isInstanceOf(DaemonException.class)
          .hasMessageContaining("EPIC authenticators are 16 bytes");
    }
  }

  @Test
  void localPathHasNoInterfaces() throws Exception {
    try (FakeDaemon d = new FakeDaemon(LOCAL.toLong()); DaemonClient c = d.client()) {
      d.pathsByDst.put(LOCAL.toLong(), List.of(Path.newBuilder().setMtu(1472)
          .setExpiration(Timestamp.newBuilder().setSeconds(2_000_000_000L)).build()));
      ScionPath p = c.paths(LOCAL, LOCAL, false).get(0);
      assertThat(p.isLocal()).isTrue();
      assertThat(p.nextHop()).isEmpty();
      assertThat(p.hopCount()).isEqualTo(1);
      assertThat(p.totalLatency()).contains(Duration.ZERO);
    }
  }

  @Test
  void asPortRangeNotifyAndDrKey() throws Exception {
    try (FakeDaemon d = new FakeDaemon(LOCAL.toLong()); DaemonClient c = d.client()) {
      assertThat(c.localAs().isdAs()).isEqualTo(LOCAL);
      assertThat(c.localAs().mtu()).isEqualTo(1472);
      assertThat(c.portRange()).isEqualTo(new PortRange(31000, 32767));
      c.notifyInterfaceDown(CORE, 3);
      assertThat(d.interfaceDownCalls).hasSize(1);
      assertThat(d.interfaceDownCalls.get(0).getIsdAs()).isEqualTo(CORE.toLong());
      assertThat(d.interfaceDownCalls.get(0).getId()).isEqualTo(3);
      DrKey k = c.drKeyHostHost(Instant.ofEpochSecond(100_000), 4059,
          ScionAddress.parse("1-ff00:0:111,[127.0.0.1]:1"), ScionAddress.parse("1-ff00:0:112,[127.0.0.12]:4059"));
      assertThat(k.key()).hasSize(16);
      assertThat(k.key()[0]).isEqualTo((byte) (4059 & 0xFF)); // protocol id above 255 survives as uint32
      assertThat(k.epochBegin()).isEqualTo(Instant.ofEpochSecond(86400));
      assertThat(k.toString()).doesNotContain("0, 0");
    }
  }

  @Test
  void errorsNameTheDaemonAndCall() throws Exception {
    try (FakeDaemon d = new FakeDaemon(LOCAL.toLong()); DaemonClient c = d.client()) {
      assertThatThrownBy(() -> c.paths(LOCAL, IsdAs.parse("2-ff00:0:210"), false))
          .isInstanceOf(DaemonException.class)
          .hasMessageContaining("fake-daemon").hasMessageContaining("Paths to 2-ff00:0:210")
          .hasMessageContaining("NOT_FOUND");
    }
  }

  @Test
  void unreachableDaemonFailsWithClearMessage() {
    // Nothing listens on this loopback port (bound and closed just before).
    int port;
    try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      port = s.getLocalPort();
    } catch (java.io.IOException e) {
      throw new AssertionError(e);
    }
    try (DaemonClient c = DaemonClient.connect("127.0.0.1:" + port)) {
      assertThatThrownBy(c::localAs).isInstanceOf(DaemonException.class)
          .hasMessageContaining("127.0.0.1:" + port)
          // refused at once, or (on a machine too busy to even try within the deadline) timed out
          .hasMessageMatching("(?s).*(UNAVAILABLE|DEADLINE_EXCEEDED).*");
    }
  }

  @Test
  void addressParsingNeverResolvesNames() {
    assertThat(DaemonClient.parseHostPort("[::1]:30255", "x").getPort()).isEqualTo(30255);
    assertThatThrownBy(() -> DaemonClient.connect("localhost:30255")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> DaemonClient.connect("127.0.0.1")).isInstanceOf(IllegalArgumentException.class);
  }
}
