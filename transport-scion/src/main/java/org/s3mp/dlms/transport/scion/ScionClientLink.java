package org.s3mp.dlms.transport.scion;

import java.io.IOException;
import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import org.s3mp.dlms.transport.ClientLink;
import org.s3mp.dlms.transport.LinkOptions;
import org.s3mp.dlms.transport.LinkPath;
import org.s3mp.dlms.transport.MeterUrl;
import org.s3mp.dlms.transport.NetworkKeys;
import org.s3mp.dlms.drkey.DlmsKeys;
import org.s3mp.dlms.drkey.DrkeyKeySource;
import org.s3mp.scion.IsdAs;
import org.s3mp.scion.PathInterface;
import org.s3mp.scion.ScionAddress;
import org.s3mp.scion.ScionPath;
import org.s3mp.scion.daemon.DaemonException;
import org.s3mp.scion.path.PathSelector;
import org.s3mp.scion.policy.NoCompliantPathException;
import org.s3mp.scion.policy.PathPolicy;
import org.s3mp.scion.socket.ScionDatagramClient;
import org.s3mp.scion.socket.ScionDatagramSocket;

/**
 * A client link over SCION/UDP, on the socket all links of the process share ({@link ScionService}); a second
 * link to a meter that already has one gets a socket of its own, so each answer still has one link it is for.
 * Each exchange retransmits within its timeout as {@link ScionDatagramClient} does: after each path's measured
 * retransmission timeout, or at once on an SCMP error, over the next compliant path (failover). With no compliant
 * path the link fails closed before anything is sent.
 */
final class ScionClientLink implements ClientLink {
  private final MeterUrl url;
  private final ScionAddress meter;
  private final ScionService service;
  private final ScionDatagramClient client;
  private final int drkeyProtocol;
  private volatile ScionPath lastPath;
  /** {@link #path()} of {@link #lastPath}, made once per path: callers ask after every reading (a head-end stores it). */
  private volatile PathView lastView;
  /** Why the path changed last, until {@link #takePathChange()} takes it. */
  private volatile String pathChange;
  private byte[] lastRequest;
  private final java.util.ArrayDeque<byte[]> recentAnswers = new java.util.ArrayDeque<>();

  private ScionClientLink(MeterUrl url, ScionAddress meter, ScionService service, ScionDatagramClient client,
      int drkeyProtocol) {
    this.url = url;
    this.meter = meter;
    this.service = service;
    this.client = client;
    this.drkeyProtocol = drkeyProtocol;
  }

  static ScionClientLink open(MeterUrl url, ScionAddress meter, LinkOptions options, PathPolicy policy,
      int drkeyProtocol) throws IOException {
    ScionService service = ScionService.acquire(ScionTransport.daemonAddress(options));
    ScionDatagramSocket socket = null;
    try {
      IsdAs local = service.daemon().localAs().isdAs();
      InetAddress host = ScionTransport.localHost(options, service.daemonAddress());
      PathSelector selector = PathSelector.create(service.daemon(), service.paths(local), policy);
      if (!local.equals(meter.isdAs())) {
        selector.select(meter.isdAs()); // fail closed now, with the policy's reason, if nothing complies
      }
      ScionDatagramClient client = service.socket(host, policy.epic()).client(meter, selector).orElse(null);
      if (client == null) { // another link to this meter is open: answers need a port of their own
        socket = ScionDatagramSocket.open(service.daemon(), host, 0);
        socket.useEpic(policy.epic());
        client = new ScionDatagramClient(socket, selector);
      }
      return new ScionClientLink(url, meter, service, client, drkeyProtocol);
    } catch (NoCompliantPathException e) {
      close(service, socket);
      throw new IOException(e.getMessage(), e);
    } catch (DaemonException e) {
      close(service, socket);
      throw new IOException("SCION daemon " + service.daemonAddress() + ": " + e.getMessage(), e);
    } catch (IOException | RuntimeException e) {
      close(service, socket);
      throw e;
    }
  }

  private static void close(ScionService service, ScionDatagramSocket socket) {
    if (socket != null) {
      socket.close();
    }
    service.close();
  }

  /** DRKey keys for this link's host address (the DRKey source) and the meter's (the destination). */
  @Override
  public Optional<NetworkKeys> networkKeys() throws IOException {
    ScionAddress local = client.socket().localAddress();
    DrkeyKeySource source = service.drkey(drkeyProtocol);
    DlmsKeys k = source.current(meter, local);
    return Optional.of(new NetworkKeys(k.keys(), "keys from DRKey protocol "
        + source.protocol() + ", epoch " + k.epochBegin() + " - " + k.epochEnd() + ", key id " + k.keyId(),
        k.epochEnd()));
  }

  @Override
  public byte[] exchange(byte[] request, Duration timeout) throws IOException {
    return exchange(request, timeout, answer -> true);
  }

  @Override
  public byte[] exchange(byte[] request, Duration timeout, java.util.function.Predicate<byte[]> isAnswer)
      throws IOException {
    try {
      // A late answer to an earlier (re)sent request must not pass for the answer to this one. The meter answers
      // a repeated request with the very same bytes, so a new request meeting a recent answer again means stale.
      boolean repeated = Arrays.equals(request, lastRequest);
      ScionDatagramClient.Response r = client.request(meter, request, timeout,
          answer -> isAnswer.test(answer) && (repeated || !recentlyAnswered(answer)));
      lastRequest = request.clone();
      byte[] answer = r.payload(); // a copy: kept here and handed out
      recentAnswers.addFirst(answer);
      if (recentAnswers.size() > 4) {
        recentAnswers.removeLast();
      }
      noteChange(r.path(), r.failoverReason());
      return answer.clone();
    } catch (NoCompliantPathException e) {
      throw new IOException(e.getMessage(), e);
    }
  }

  private boolean recentlyAnswered(byte[] answer) {
    for (byte[] a : recentAnswers) {
      if (Arrays.equals(a, answer)) {
        return true;
      }
    }
    return false;
  }

  @Override
  public void send(byte[] pdu) throws IOException {
    try {
      noteChange(client.send(meter, pdu), null);
    } catch (NoCompliantPathException e) {
      throw new IOException(e.getMessage(), e);
    }
  }

  /** Paths are compared by their interfaces: the same path with refreshed hop fields is no change. */
  private void noteChange(ScionPath now, String failoverReason) {
    ScionPath before = lastPath;
    if (before != null && !before.fingerprint().equals(now.fingerprint())) {
      pathChange = failoverReason != null ? failoverReason : "policy";
    }
    lastPath = now;
  }

  @Override
  public Optional<String> takePathChange() {
    String reason = pathChange;
    pathChange = null;
    return Optional.ofNullable(reason);
  }

  @Override
  public boolean datagram() {
    return true;
  }

  private record PathView(ScionPath path, LinkPath view) {}

  @Override
  public Optional<LinkPath> path() {
    ScionPath p = lastPath;
    if (p == null) {
      return Optional.empty();
    }
    PathView v = lastView;
    if (v == null || v.path() != p) {
      v = new PathView(p, linkPath(p, meter.isdAs()));
      lastView = v;
    }
    return Optional.of(v.view());
  }

  /**
   * The path as the layers above see it. scionproto indexes the metadata by interface: latency {@code i} lies
   * between interfaces {@code i} and {@code i+1} (alternately a link and the inside of an AS), geo {@code i} is
   * the router of interface {@code i}.
   */
  static LinkPath linkPath(ScionPath p, IsdAs local) {
    if (p.isLocal()) {
      return new LinkPath(List.of(new LinkPath.Hop(local.toString(), 0, 0, null, null, null)));
    }
    List<PathInterface> ifs = p.interfaces();
    int last = ifs.size() / 2; // index of the last AS
    List<LinkPath.Hop> hops = new ArrayList<>();
    for (int k = 0; k <= last; k++) {
      int in = 2 * k - 1; // interface index of the ingress, -1 at the first AS
      int out = k < last ? 2 * k : -1;
      IsdAs ia = ifs.get(k == 0 ? 0 : in).isdAs();
      String country = country(p, out);
      if (country == null) {
        country = country(p, in);
      }
      hops.add(new LinkPath.Hop(ia.toString(), in < 0 ? 0 : ifs.get(in).id(), out < 0 ? 0 : ifs.get(out).id(),
          country, in >= 0 && out >= 0 ? latency(p, in) : null, out >= 0 ? latency(p, out) : null));
    }
    return new LinkPath(hops);
  }

  private static String country(ScionPath p, int index) {
    if (index < 0 || index >= p.geo().size()) {
      return null;
    }
    String a = p.geo().get(index).address().trim();
    return a.isEmpty() ? null : a;
  }

  private static Duration latency(ScionPath p, int index) {
    if (index >= p.latencies().size()) {
      return null;
    }
    Duration d = p.latencies().get(index);
    return d.isNegative() ? null : d;
  }

  @Override
  public Optional<String> localAddress() {
    return Optional.of(client.socket().localAddress().toString());
  }

  @Override
  public MeterUrl remote() {
    return url;
  }

  @Override
  public void close() {
    client.close();
    service.close();
  }
}
