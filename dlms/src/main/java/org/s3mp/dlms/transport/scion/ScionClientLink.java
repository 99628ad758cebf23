package org.s3mp.dlms.transport.scion;

import java.io.IOException;
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
import org.s3mp.scion.ScionAddress;
import org.s3mp.scion.ScionPath;
import org.s3mp.scion.daemon.DaemonException;
import org.s3mp.scion.path.PathSelector;
import org.s3mp.scion.policy.NoCompliantPathException;
import org.s3mp.scion.policy.PathPolicy;
import org.s3mp.scion.socket.ScionDatagramClient;
import org.s3mp.scion.socket.ScionDatagramSocket;

/**
 * A client link over SCION/UDP. Each exchange retransmits within its timeout as {@link ScionDatagramClient}
 * does: after each path's measured retransmission timeout, or at once on an SCMP error, over the next compliant
 * path (failover). With no compliant path the link fails closed before anything is sent.
 */
final class ScionClientLink implements ClientLink {
  private final MeterUrl url;
  private final ScionAddress meter;
  private final ScionService service;
  private final ScionDatagramClient client;
  private final int drkeyProtocol;
  private volatile ScionPath lastPath;
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
      socket = ScionDatagramSocket.open(service.daemon(),
          ScionTransport.localHost(options, service.daemonAddress()), 0);
      PathSelector selector = PathSelector.create(service.daemon(), local, policy);
      if (!local.equals(meter.isdAs())) {
        selector.select(meter.isdAs()); // fail closed now, with the policy's reason, if nothing complies
      }
      return new ScionClientLink(url, meter, service, new ScionDatagramClient(socket, selector), drkeyProtocol);
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

  /** DRKey keys for this link's host address and the meter's (the meter is the DRKey source). */
  @Override
  public Optional<NetworkKeys> networkKeys() throws IOException {
    ScionAddress local = client.socket().localAddress();
    DrkeyKeySource source = service.drkey(drkeyProtocol);
    DlmsKeys k = source.current(meter, local);
    return Optional.of(new NetworkKeys(DrkeyKeySource.keysFile(k, meter, local), "keys from DRKey protocol "
        + source.protocol() + ", epoch " + k.epochBegin() + " - " + k.epochEnd() + ", key id " + k.keyId(),
        k.epochEnd()));
  }

  @Override
  public byte[] exchange(byte[] request, Duration timeout) throws IOException {
    try {
      // A late answer to an earlier (re)sent request must not pass for the answer to this one. The meter answers
      // a repeated request with the very same bytes, so a new request meeting a recent answer again means stale.
      boolean repeated = Arrays.equals(request, lastRequest);
      ScionDatagramClient.Response r = client.request(meter, request, timeout,
          answer -> repeated || recentAnswers.stream().noneMatch(a -> Arrays.equals(a, answer)));
      lastRequest = request.clone();
      recentAnswers.addFirst(r.payload());
      if (recentAnswers.size() > 4) {
        recentAnswers.removeLast();
      }
      lastPath = r.path();
      return r.payload();
    } catch (NoCompliantPathException e) {
      throw new IOException(e.getMessage(), e);
    }
  }

  @Override
  public void send(byte[] pdu) throws IOException {
    try {
      lastPath = client.send(meter, pdu);
    } catch (NoCompliantPathException e) {
      throw new IOException(e.getMessage(), e);
    }
  }

  @Override
  public boolean datagram() {
    return true;
  }

  @Override
  public Optional<LinkPath> path() {
    ScionPath p = lastPath;
    if (p == null) {
      return Optional.empty();
    }
    List<String> ases = new ArrayList<>();
    List<Integer> isds = new ArrayList<>();
    for (IsdAs ia : p.isdAses()) {
      ases.add(ia.toString());
      if (!isds.contains(ia.isd())) {
        isds.add(ia.isd());
      }
    }
    return Optional.of(new LinkPath(p.isLocal() ? "(inside " + meter.isdAs() + ")" : p.hops(),
        p.interfaces().stream().map(Object::toString).toList(), ases, isds, List.copyOf(p.geoAddresses())));
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
