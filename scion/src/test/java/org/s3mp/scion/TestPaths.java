package org.s3mp.scion;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.s3mp.scion.packet.HopField;
import org.s3mp.scion.packet.InfoField;
import org.s3mp.scion.packet.StandardPath;

/** Builds ScionPaths for unit tests: valid path bytes (one segment) matching the given interface sequence. */
public final class TestPaths {
  private TestPaths() {}

  /** {@code spec} in scionproto's hop notation without brackets, e.g. "1-ff00:0:111 1>2 1-ff00:0:110 3>4 1-ff00:0:112". */
  public static ScionPath path(String spec, InetSocketAddress nextHop) {
    return path(spec, nextHop, List.of(), List.of(), Instant.now().plus(Duration.ofHours(6)));
  }

  public static ScionPath path(String spec, InetSocketAddress nextHop, List<Duration> latency,
      List<GeoCoordinates> geo, Instant expiry) {
    String[] t = spec.trim().split("\\s+");
    List<PathInterface> ifs = new ArrayList<>();
    // tokens: IA, "a>b", IA, "c>d", IA ... where a is the egress of the IA before and b the ingress of the next
    IsdAs src = IsdAs.parse(t[0]);
    IsdAs prev = src;
    for (int i = 1; i + 1 < t.length; i += 2) {
      String[] ab = t[i].split(">");
      IsdAs next = IsdAs.parse(t[i + 1]);
      ifs.add(new PathInterface(prev, Long.parseLong(ab[0])));
      ifs.add(new PathInterface(next, Long.parseLong(ab[1])));
      prev = next;
    }
    int hops = ifs.size() / 2 + 1;
    List<HopField> hfs = new ArrayList<>();
    for (int h = 0; h < hops; h++) {
      int in = h == 0 ? 0 : (int) ifs.get(2 * h - 1).id();
      int eg = h == hops - 1 ? 0 : (int) ifs.get(2 * h).id();
      hfs.add(new HopField(0, 63, in, eg, new byte[] {1, 2, 3, 4, 5, (byte) h}));
    }
    StandardPath sp = new StandardPath(0, 0, 0, hops, 0, 0,
        List.of(new InfoField(1, 0, 0x1234, Instant.now().getEpochSecond())), hfs);
    return new ScionPath(src, prev, sp.toBytes(), nextHop, ifs, 1400, expiry, latency, List.of(), geo, List.of(),
        List.of(), List.of());
  }
}
