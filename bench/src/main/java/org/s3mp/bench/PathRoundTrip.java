package org.s3mp.bench;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.s3mp.dlms.transport.LinkOptions;
import org.s3mp.dlms.transport.LinkPath;
import org.s3mp.dlms.transport.MeterUrl;
import org.s3mp.scion.IsdAs;
import org.s3mp.scion.ScionAddress;
import org.s3mp.scion.ScionPath;
import org.s3mp.scion.daemon.DaemonClient;
import org.s3mp.scion.daemon.DaemonException;
import org.s3mp.scion.socket.ScionDatagramSocket;
import org.s3mp.scion.socket.ScionPing;
import org.s3mp.testbed.Testbed;

/** The round trip of a SCION path itself: SCMP echo to the meter's host over exactly the path the readings took. */
final class PathRoundTrip {
  private PathRoundTrip() {}

  /**
   * Median of 21 echoes sent {@code interval} apart, like the readings: routers idle between packets wake up
   * slower than under back-to-back pings, and the readings pay that too.
   */
  static Optional<Duration> median(Testbed tb, MeterUrl meter, LinkOptions options, Optional<LinkPath> used,
      Duration interval) throws IOException {
    if (used.isEmpty()) {
      return Optional.empty();
    }
    ScionAddress dst = ScionAddress.parse(meter.address());
    String daemonAddress = options.parameter(LinkOptions.SCION_DAEMON);
    try (DaemonClient daemon = DaemonClient.connect(daemonAddress);
        ScionDatagramSocket socket = ScionDatagramSocket.open(daemon, tb.hostAddress(tb.headEnd()), 0)) {
      IsdAs local = daemon.localAs().isdAs();
      ScionPath path = daemon.paths(local, dst.isdAs(), false).stream()
          .filter(p -> p.interfaces().stream().map(Object::toString).toList().equals(used.get().interfaces()))
          .findFirst()
          .orElseThrow(() -> new IOException("the daemon no longer offers the path " + used.get().notation()));
      List<Duration> rtts = new ArrayList<>();
      for (int i = 0; i < 21; i++) {
        if (i > 0) {
          try {
            Thread.sleep(interval.toMillis()); // the experiment's spacing, as for the readings
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
          }
        }
        ScionPing.Result r = ScionPing.echo(socket, dst, path, i, 0, Duration.ofSeconds(1));
        if (r.replied()) {
          rtts.add(r.rtt());
        }
      }
      rtts.sort(null);
      return rtts.isEmpty() ? Optional.empty() : Optional.of(rtts.get(rtts.size() / 2));
    } catch (DaemonException e) {
      throw new IOException(e.getMessage(), e);
    }
  }
}
