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
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntSupplier;
import org.s3mp.scion.ScionAddress;
import org.s3mp.scion.ScionPath;
import org.s3mp.scion.packet.EmptyPath;
import org.s3mp.scion.packet.HopField;
import org.s3mp.scion.packet.PacketParseException;
import org.s3mp.scion.packet.PathHeader;
import org.s3mp.scion.packet.ScionPacket;
import org.s3mp.scion.packet.ScmpMessage;
import org.s3mp.scion.packet.StandardPath;
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
  /** Where this client's packets come from: the socket itself, or its share of a {@link SharedScionSocket}. */
  private final PacketSource packets;
  /** Whether SCMP packets still need {@link ScionDatagramSocket#handle} (not when a shared socket's receiver did). */
  private final boolean handlesScmp;
  /** Sequence numbers of probes; unique among the clients of a shared socket (the identifier is its port). */
  private final IntSupplier probeSequences;
  private final Runnable onClose;
  /** Outstanding probes of faulty paths by echo sequence number, oldest first. */
  private final Map<Integer, ScionPath> probes = new LinkedHashMap<>();
  /** Why the last attempt of the request in progress failed (one request at a time). */
  private String lastFailure;
  private volatile long spuriousTimeouts;

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

  /** The next packet for this client, null after {@code timeout}. */
  @FunctionalInterface
  interface PacketSource {
    ReceivedPacket next(Duration timeout) throws IOException;
  }

  /** A client that owns {@code socket}: it reads the socket itself and closes it with {@link #close}. */
  public ScionDatagramClient(ScionDatagramSocket socket, PathSelector selector) {
    this(socket, selector, socket::receivePacket, true, new AtomicInteger()::getAndIncrement,
        socket::close);
  }

  ScionDatagramClient(ScionDatagramSocket socket, PathSelector selector, PacketSource packets, boolean handlesScmp,
      IntSupplier probeSequences, Runnable onClose) {
    this.socket = Objects.requireNonNull(socket);
    this.selector = Objects.requireNonNull(selector);
    this.packets = packets;
    this.handlesScmp = handlesScmp;
    this.probeSequences = probeSequences;
    this.onClose = onClose;
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
    List<Transmission> sent = new ArrayList<>();
    lastFailure = null;
    while (deadline - System.nanoTime() > 0) {
      ScionPath path = selector.select(destination.isdAs());
      boolean allFaulty = selector.isFaulty(path);
      probeFaultyPaths(destination);
      long sentAt = System.nanoTime(); // before the send: a round trip is never measured shorter than it was
      socket.send(payload, destination, path);
      Transmission t = new Transmission(path, sentAt, hopKey(path));
      sent.add(t);
      long waitUntil = Math.min(deadline, t.sentAt + selector.retransmissionTimeout(path).toNanos());
      Response r = awaitAnswer(destination, sent, waitUntil, allFaulty, isAnswer);
      if (r != null) {
        return r;
      }
    }
    List<String> tried = new ArrayList<>();
    sent.forEach(t -> tried.add(t.path.hops()));
    throw new SocketTimeoutException("no answer from " + destination + " within " + timeout.toMillis() + " ms ("
        + sent.size() + " attempt(s) over " + String.join(", ", new LinkedHashSet<>(tried)) + ")");
  }

  /** One (re)transmission of a request: the path, when, and the path's hop fields to recognise its answer. */
  private record Transmission(ScionPath path, long sentAt, byte[] hopKey) {}

  /**
   * The answer, or null to send again (timeout, or this path failed and another one may work). The last of
   * {@code sent} is the transmission being waited for.
   */
  private Response awaitAnswer(ScionAddress destination, List<Transmission> sent, long waitUntil,
      boolean allFaulty, java.util.function.Predicate<byte[]> isAnswer) throws IOException {
    Transmission last = sent.get(sent.size() - 1);
    while (true) {
      long left = waitUntil - System.nanoTime();
      ReceivedPacket rp = left > 0 ? packets.next(Duration.ofNanos(left)) : null;
      if (rp == null) {
        selector.reportTimeout(last.path);
        lastFailure = "timeout";
        return null;
      }
      ScionPacket p = rp.packet();
      if (p.l4() instanceof UdpDatagram) {
        ReceivedDatagram d = socket.handle(rp);
        if (d != null && d.source().equals(destination) && isAnswer.test(d.payload())) {
          return answered(d, sent);
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
      if (handlesScmp) {
        socket.handle(rp); // SCMP: errors reach the selector through the listener
      }
      ScmpMessage scmp = (ScmpMessage) p.l4();
      if (scmp.isError() && selector.isFaulty(last.path)) {
        lastFailure = describe(scmp);
        if (!allFaulty) {
          return null; // this path is known broken and another one is not: retry on it at once
        }
      }
    }
  }

  /**
   * Which transmission the answer belongs to is told by the path it came back on (the meter answers on the
   * reversed path of the request it got), as TCP's timestamps tell it in Eifel (RFC 3522, RFC 4015). An answer
   * to a transmission before the last one means that transmission's timeout was spurious: its path works, so it
   * is not faulty, and its round trip is a true sample (the path carried that request once), which also undoes
   * the timeout's backoff. Without that, a loaded host whose answers come late switched paths on every slow
   * answer and back again on the next probe. Only when one path carried several transmissions the answer is
   * ambiguous (Karn): success, but no sample.
   */
  private Response answered(ReceivedDatagram d, List<Transmission> sent) {
    long now = System.nanoTime();
    byte[] key = hopKey(d.replyPath());
    Transmission match = null;
    int index = -1;
    int onThatPath = 0;
    for (int i = sent.size() - 1; i >= 0; i--) {
      Transmission t = sent.get(i);
      if (key != null && java.util.Arrays.equals(key, t.hopKey)) {
        if (match == null) {
          match = t;
          index = i;
        }
        onThatPath++;
      }
    }
    if (match == null) { // a path we cannot tell apart (e.g. rewritten): credit the last transmission, no sample
      match = sent.get(sent.size() - 1);
      index = sent.size() - 1;
      onThatPath = 2;
    }
    if (onThatPath == 1) {
      selector.reportRoundTrip(match.path, Duration.ofNanos(now - match.sentAt));
    } else {
      selector.reportSuccess(match.path);
    }
    if (index < sent.size() - 1) {
      spuriousTimeouts++;
    }
    boolean failedOver = index > 0 && !sent.get(0).path.fingerprint().equals(match.path.fingerprint());
    return new Response(d.payload(), match.path, index + 1, failedOver ? lastFailure : null);
  }

  /** Timeouts proven spurious by a later answer to the transmission that timed out. */
  public long spuriousTimeouts() {
    return spuriousTimeouts;
  }

  /**
   * The path's hop fields (interfaces and MACs, 10 bytes a hop) in the sending direction, null if unknown: the same
   * for our copy of a path and for the reversed path of the answer that came back over it (routers change only
   * info fields). Bytes, not text: this runs twice per request.
   */
  static byte[] hopKey(PathHeader h) {
    if (h instanceof StandardPath sp) {
      List<HopField> hops = sp.hopFields();
      java.nio.ByteBuffer key = java.nio.ByteBuffer.allocate(hops.size() * 10);
      for (HopField f : hops) {
        key.putShort((short) f.consIngress()).putShort((short) f.consEgress()).put(f.mac());
      }
      return key.array();
    }
    return h instanceof EmptyPath ? new byte[0] : null;
  }

  /** The key of the path sent on last: requests mostly go out on the same path, decoded once for all of them. */
  private ScionPath keyedPath;
  private byte[] keyOfPath;

  private byte[] hopKey(ScionPath path) {
    if (path == keyedPath) {
      return keyOfPath;
    }
    byte[] key;
    if (path.isLocal()) {
      key = new byte[0];
    } else {
      try {
        key = hopKey(StandardPath.decode(path.raw()));
      } catch (PacketParseException e) {
        key = null; // the send fails on it anyway
      }
    }
    keyedPath = path;
    keyOfPath = key;
    return key;
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
      int seq = probeSequences.getAsInt() & 0xFFFF;
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
    socket.removeScmpErrorListener(selector);
    onClose.run();
  }
}
