package org.s3mp.scion.socket;

import java.io.IOException;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.s3mp.scion.ScionAddress;
import org.s3mp.scion.ScionPath;
import org.s3mp.scion.packet.ScionPacket;
import org.s3mp.scion.packet.ScmpMessage;
import org.s3mp.scion.packet.UdpDatagram;
import org.s3mp.scion.path.PathSelector;

/**
 * Request/response over SCION/UDP with failover, for protocols like the DLMS wrapper: each attempt uses the
 * selector's current path; a timeout or an SCMP link-down error for that path marks it faulty and the next
 * attempt goes over the next compliant path at once (see {@link #request(ScionAddress, byte[], Duration,
 * java.util.function.Predicate)}). Reports which path carried each datagram. One request at a time.
 */
public final class ScionDatagramClient implements AutoCloseable {
  private final ScionDatagramSocket socket;
  private final PathSelector selector;
  /** Outstanding probes of faulty paths by echo sequence number, oldest first. */
  private final Map<Integer, ScionPath> probes = new LinkedHashMap<>();
  private int nextProbe;
  /** Why the last attempt of the request in progress failed (one request at a time). */
  private String lastFailure;

  /**
   * The answer and the path that carried the successful request.
   *
   * @param failoverReason why the attempt before the answered one failed ({@code timeout}, {@code SCMP interface
   *     down ...}), null when the first attempt was answered
   */
  public record Response(byte[] payload, ScionPath path, int attempt, String failoverReason) {
    public Response {
      payload = payload.clone();
    }

    public Response(byte[] payload, ScionPath path, int attempt) {
      this(payload, path, attempt, null);
    }

    @Override
    public byte[] payload() {
      return payload.clone();
    }
  }

  public ScionDatagramClient(ScionDatagramSocket socket, PathSelector selector) {
    this.socket = Objects.requireNonNull(socket);
    this.selector = Objects.requireNonNull(selector);
    socket.addScmpErrorListener(selector);
  }

  public ScionDatagramSocket socket() {
    return socket;
  }

  public PathSelector selector() {
    return selector;
  }

  /** Sends one datagram over the selected path and returns that path. */
  public ScionPath send(ScionAddress destination, byte[] payload) throws IOException {
    ScionPath path = selector.select(destination.isdAs());
    socket.send(payload, destination, path);
    return path;
  }

  /**
   * Sends {@code payload} and waits up to {@code timeout} in all for a datagram from {@code destination}. Throws
   * SocketTimeoutException when none is answered in time.
   */
  public Response request(ScionAddress destination, byte[] payload, Duration timeout) throws IOException {
    return request(destination, payload, timeout, answer -> true);
  }

  /**
   * The one retransmission policy of SCION requests. Sends {@code payload} over the selector's current path and
   * waits for that path's retransmission timeout (measured round trips, see {@link
   * PathSelector#retransmissionTimeout}); on a timeout, or an SCMP error marking the path faulty, it sends again
   * at once over the next compliant path, until an answer arrives or {@code timeout} has passed in all. When
   * every compliant path is faulty it does not spin on SCMP errors but waits each timeout out. Faulty paths are
   * probed with SCMP echo meanwhile, so a repaired one is used again. Datagrams from the destination that
   * {@code isAnswer} rejects (e.g. a late answer to an earlier request) are skipped.
   */
  public Response request(ScionAddress destination, byte[] payload, Duration timeout,
      java.util.function.Predicate<byte[]> isAnswer) throws IOException {
    long deadline = System.nanoTime() + timeout.toNanos();
    List<String> tried = new ArrayList<>();
    int attempt = 0;
    lastFailure = null;
    while (deadline - System.nanoTime() > 0) {
      ScionPath path = selector.select(destination.isdAs());
      boolean allFaulty = selector.isFaulty(path);
      attempt++;
      probeFaultyPaths(destination);
      socket.send(payload, destination, path);
      long sentAt = System.nanoTime();
      tried.add(path.hops());
      long waitUntil = Math.min(deadline, sentAt + selector.retransmissionTimeout(path).toNanos());
      Response r = awaitAnswer(destination, path, attempt, sentAt, waitUntil, allFaulty, isAnswer);
      if (r != null) {
        return r;
      }
    }
    throw new SocketTimeoutException("no answer from " + destination + " within " + timeout.toMillis() + " ms ("
        + attempt + " attempt(s) over " + String.join(", ", new LinkedHashSet<>(tried)) + ")");
  }

  /** The answer, or null to send again (timeout, or this path failed and another one may work). */
  private Response awaitAnswer(ScionAddress destination, ScionPath path, int attempt, long sentAt, long waitUntil,
      boolean allFaulty, java.util.function.Predicate<byte[]> isAnswer) throws IOException {
    while (true) {
      long left = waitUntil - System.nanoTime();
      ReceivedPacket rp = left > 0 ? socket.receivePacket(Duration.ofNanos(left)) : null;
      if (rp == null) {
        selector.reportTimeout(path);
        lastFailure = "timeout";
        return null;
      }
      ScionPacket p = rp.packet();
      if (p.l4() instanceof UdpDatagram) {
        ReceivedDatagram d = socket.handle(rp);
        if (d != null && d.source().equals(destination) && isAnswer.test(d.payload())) {
          if (attempt == 1) {
            selector.reportRoundTrip(path, Duration.ofNanos(System.nanoTime() - sentAt));
          } else {
            selector.reportSuccess(path); // which send it answers is unknown (Karn): no round-trip sample
          }
          return new Response(d.payload(), path, attempt, attempt == 1 ? null : lastFailure);
        }
        continue; // not from the peer we asked: ignore
      }
      if (p.l4() instanceof ScmpMessage.Echo e && e.type() == ScmpMessage.ECHO_REPLY
          && e.identifier() == socket.localAddress().port()) {
        ScionPath probed = probes.remove(e.sequence());
        if (probed != null) {
          selector.reportSuccess(probed);
        }
        continue;
      }
      socket.handle(rp); // SCMP: errors reach the selector through the listener
      ScmpMessage scmp = (ScmpMessage) p.l4();
      if (scmp.isError() && selector.isFaulty(path)) {
        lastFailure = describe(scmp);
        if (!allFaulty) {
          return null; // this path is known broken and another one is not: retry on it at once
        }
      }
    }
  }

  /** An SCMP error as a failover reason, e.g. {@code SCMP interface down (1-ff00:0:111#1)}. */
  static String describe(ScmpMessage m) {
    if (m instanceof ScmpMessage.ExternalInterfaceDown d) {
      return "SCMP interface down (" + d.isdAs() + "#" + d.interfaceId() + ")";
    }
    if (m instanceof ScmpMessage.InternalConnectivityDown d) {
      return "SCMP internal connectivity down (" + d.isdAs() + " " + d.ingressId() + "-" + d.egressId() + ")";
    }
    if (m instanceof ScmpMessage.DestinationUnreachable) {
      return "SCMP destination unreachable";
    }
    return "SCMP error type " + m.type();
  }

  /** One SCMP echo over each faulty path that is due; the replies are matched in {@link #awaitAnswer}. */
  private void probeFaultyPaths(ScionAddress destination) throws IOException {
    for (ScionPath faulty : selector.dueForProbe(destination.isdAs())) {
      int seq = nextProbe++ & 0xFFFF;
      probes.put(seq, faulty);
      if (probes.size() > 64) {
        probes.remove(probes.keySet().iterator().next());
      }
      socket.sendL4(ScmpMessage.Echo.request(socket.localAddress().port(), seq, new byte[0]),
          destination.withPort(0), faulty);
    }
  }

  @Override
  public void close() {
    socket.close();
  }
}
