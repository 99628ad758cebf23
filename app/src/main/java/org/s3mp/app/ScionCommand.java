package org.s3mp.app;

import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import org.s3mp.scion.GeoCoordinates;
import org.s3mp.scion.IsdAs;
import org.s3mp.scion.ScionAddress;
import org.s3mp.scion.ScionPath;
import org.s3mp.scion.daemon.AsInfo;
import org.s3mp.scion.daemon.DaemonClient;
import org.s3mp.scion.path.PathSelector;
import org.s3mp.scion.policy.PathPolicy;
import org.s3mp.scion.socket.ScionDatagramSocket;
import org.s3mp.scion.socket.ScionPing;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code s3mp scion ...}: SCION diagnostics with our own pure-Java end-host stack. */
@Command(
    name = "scion",
    mixinStandardHelpOptions = true,
    description = "SCION diagnostics with S3MP's own SCION stack (no scionproto code involved).",
    subcommands = {ScionCommand.ShowPaths.class, ScionCommand.Ping.class})
final class ScionCommand {

  /** Options every SCION-using command shares. */
  static final class DaemonOption {
    @Option(names = "--daemon", paramLabel = "ADDR",
        description = "SCION daemon IP:PORT (default: $SCION_DAEMON_ADDRESS, then " + DaemonClient.DEFAULT_ADDRESS + ").")
    String daemon;

    @Option(names = "--policy", paramLabel = "FILE", description = "Path policy file (JSON or YAML): acl, sequence,"
        + " allowed_isds, allowed_ases, allowed_countries, order.")
    Path policy;

    @Option(names = "--epic", description = "EPIC-HP: only paths that offer it; ping sends EPIC packets, which the"
        + " routers of the last two ASes verify.")
    boolean epic;

    DaemonClient connect() {
      return DaemonClient.connect(DaemonClient.resolveAddress(daemon));
    }

    PathPolicy policy() throws IOException {
      PathPolicy p = policy == null ? PathPolicy.allowAll() : PathPolicy.load(policy);
      return epic ? p.withEpic() : p;
    }
  }

  @Command(name = "showpaths", mixinStandardHelpOptions = true,
      description = "List the paths from the local AS to IA that comply with the policy, as the daemon reports them.")
  static final class ShowPaths implements Callable<Integer> {
    @Mixin DaemonOption common;

    @Parameters(paramLabel = "IA", description = "Destination ISD-AS, e.g. 1-ff00:0:112.")
    String destination;

    @Option(names = "--extended", description = "Also show expiry, latency, bandwidth, geo, link type, notes.")
    boolean extended;

    @Option(names = "--refresh", description = "Make the daemon fetch paths anew instead of using its cache.")
    boolean refresh;

    @Override
    public Integer call() throws Exception {
      IsdAs dst = parseIa(destination);
      PathPolicy policy = common.policy();
      try (DaemonClient daemon = common.connect()) {
        AsInfo local = daemon.localAs();
        List<ScionPath> all = daemon.paths(local.isdAs(), dst, refresh);
        List<ScionPath> paths = policy.apply(dst, all);
        PrintStream out = System.out;
        out.printf("Available paths to %s%s%n", dst, common.policy == null && !common.epic ? "" : " (policy '"
            + policy.name() + "'" + (policy.epic() ? " with EPIC-HP" : "") + ": " + paths.size() + " of " + all.size()
            + ")");
        int width = String.valueOf(paths.size() - 1).length();
        int section = -1;
        for (int i = 0; i < paths.size(); i++) {
          ScionPath p = paths.get(i);
          if (p.hopCount() != section) {
            section = p.hopCount();
            out.printf("%d Hops:%n", section);
          }
          out.printf("[%" + width + "d] Hops: %s MTU: %d NextHop: %s%n", i, p.hops(), p.mtu(),
              p.nextHop().map(a -> a.getAddress().getHostAddress() + ":" + a.getPort()).orElse("(local)"));
          if (extended) {
            String pad = " ".repeat(width + 3);
            out.printf("%sExpires: %s (%s)%n", pad, p.expiry(), Duration.between(Instant.now(), p.expiry())
                .withNanos(0).toString().substring(2).toLowerCase(Locale.ROOT));
            out.printf("%sLatency: %s%n", pad, p.totalLatency().map(d -> d.toNanos() / 1e6 + " ms")
                .orElse("unknown (not announced by every AS)"));
            out.printf("%sBandwidth: %s%n", pad, p.bandwidths().stream().map(b -> b == 0 ? "?" : b + " Kbit/s")
                .collect(Collectors.joining(", ", "[", "]")));
            out.printf("%sGeo: %s%n", pad, p.geo().stream().map(ShowPaths::geo).collect(Collectors.joining(", ", "[", "]")));
            out.printf("%sLinkType: %s%n", pad, p.linkTypes());
            out.printf("%sInternalHops: %s%n", pad, p.internalHops());
            out.printf("%sNotes: %s%n", pad, p.notes().stream().filter(n -> !n.isEmpty()).collect(Collectors.toList()));
            out.printf("%sSupportsEPIC: %s%n", pad, p.epicAuths().isPresent());
          }
        }
        return 0;
      }
    }

    private static String geo(GeoCoordinates g) {
      return g.isKnown() ? String.format(Locale.ROOT, "%.4f,%.4f \"%s\"", g.latitude(), g.longitude(), g.address()) : "?";
    }
  }

  @Command(name = "ping", mixinStandardHelpOptions = true,
      description = "Send SCMP echo requests to a SCION host and print the round trip times.")
  static final class Ping implements Callable<Integer> {
    @Mixin DaemonOption common;

    @Parameters(paramLabel = "ADDR", description = "Destination ISD-AS,IP (e.g. 1-ff00:0:112,127.0.112.1).")
    String destination;

    @Option(names = {"-c", "--count"}, paramLabel = "N", defaultValue = "3", description = "Echo requests to send (default: ${DEFAULT-VALUE}).")
    int count;

    @Option(names = "--interval", paramLabel = "MS", defaultValue = "1000", description = "Between requests (default: ${DEFAULT-VALUE}).")
    int intervalMs;

    @Option(names = "--timeout", paramLabel = "MS", defaultValue = "1000", description = "Wait per reply (default: ${DEFAULT-VALUE}).")
    int timeoutMs;

    @Option(names = "--size", paramLabel = "BYTES", defaultValue = "8", description = "Echo payload bytes (default: ${DEFAULT-VALUE}).")
    int size;

    @Option(names = "--local", paramLabel = "IP", description = "Local host IP to bind (default: the daemon's IP).")
    String local;

    @Override
    public Integer call() throws Exception {
      if (count < 1) {
        throw new S3mp.UsageError("--count must be at least 1");
      }
      ScionAddress dst = parseAddress(destination);
      PathPolicy policy = common.policy();
      String daemonAddress = DaemonClient.resolveAddress(common.daemon);
      InetAddress localIp = local != null ? ScionAddress.parseIp(local, local)
          : DaemonClient.parseHostPort(daemonAddress, "daemon address").getAddress();
      try (DaemonClient daemon = common.connect();
          ScionDatagramSocket socket = ScionDatagramSocket.open(daemon, localIp, 0)) {
        PathSelector selector = PathSelector.create(daemon, socket.localAddress().isdAs(), policy);
        socket.addScmpErrorListener(selector);
        socket.useEpic(policy.epic());
        PrintStream out = System.out;
        int received = 0;
        for (int seq = 0; seq < count; seq++) {
          ScionPath path = selector.select(dst.isdAs());
          if (seq == 0) {
            out.printf("Resolved local address:%n  %s%nUsing path:%n  Hops: %s MTU: %d%s%n%n", socket.localAddress(),
                path.hops(), path.mtu(), socket.usesEpic() && path.epicAuths().isPresent() ? " (EPIC-HP)" : "");
          }
          long started = System.nanoTime();
          ScionPing.Result r = ScionPing.echo(socket, dst, path, seq, size, Duration.ofMillis(timeoutMs));
          if (r.replied()) {
            received++;
            selector.reportSuccess(path);
            out.printf(Locale.ROOT, "%d bytes from %s,%s: scmp_seq=%d time=%.3fms%n", size + 8, dst.isdAs(),
                dst.host().getHostAddress(), seq, r.rtt().toNanos() / 1e6);
          } else if (r.error() != null) {
            out.printf("scmp_seq=%d: SCMP error type %d code %d%n", seq, r.error().type(), r.error().code());
          } else {
            selector.reportTimeout(path);
            out.printf("scmp_seq=%d: no reply within %d ms%n", seq, timeoutMs);
          }
          long waitMs = intervalMs - (System.nanoTime() - started) / 1_000_000;
          if (seq + 1 < count && waitMs > 0) {
            Thread.sleep(waitMs); // pacing between probes, not synchronisation
          }
        }
        out.printf("%n--- %s,%s statistics ---%n%d packets transmitted, %d received, %d%% packet loss%n", dst.isdAs(),
            dst.host().getHostAddress(), count,
            received, 100 * (count - received) / count);
        return received > 0 ? 0 : 1;
      }
    }
  }

  static IsdAs parseIa(String text) {
    try {
      return IsdAs.parse(text);
    } catch (IllegalArgumentException e) {
      throw new S3mp.UsageError(e.getMessage());
    }
  }

  static ScionAddress parseAddress(String text) {
    try {
      return ScionAddress.parseHost(text);
    } catch (IllegalArgumentException e) {
      throw new S3mp.UsageError(e.getMessage());
    }
  }
}
