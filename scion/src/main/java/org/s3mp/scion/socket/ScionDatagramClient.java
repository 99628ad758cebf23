package org.s3mp.scion.socket;

import java.io.IOException;
import java.net.SocketTimeoutException;
import java.time.Duration;
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
 * attempt goes over the next compliant path. Reports which path carried each datagram. One request at a time.
 */
public final class ScionDatagramClient implements AutoCloseable {
  private final ScionDatagramSocket socket;
  private final PathSelector selector;

  /** The answer and the path that carried the successful request. */
  public record Response(byte[] payload, ScionPath path, int attempt) {
    public Response {
      payload = payload.clone();
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
   * Sends {@code payload} and waits up to {@code timeout} per attempt for a datagram from {@code destination};
   * at most {@code attempts} attempts. Throws SocketTimeoutException when none is answered.
   */
  public Response request(ScionAddress destination, byte[] payload, Duration timeout, int attempts)
      throws IOException {
    return request(destination, payload, timeout, attempts, answer -> true);
  }

  /**
   * Like {@link #request(ScionAddress, byte[], Duration, int)}, but datagrams from the destination that
   * {@code isAnswer} rejects (e.g. a late answer to an earlier request) are skipped and waiting goes on.
   */
  public Response request(ScionAddress destination, byte[] payload, Duration timeout, int attempts,
      java.util.function.Predicate<byte[]> isAnswer) throws IOException {
    if (attempts < 1) {
      throw new IllegalArgumentException("attempts must be at least 1");
    }
    StringBuilder tried = new StringBuilder();
    for (int attempt = 1; attempt <= attempts; attempt++) {
      ScionPath path = send(destination, payload);
      tried.append(attempt == 1 ? "" : ", ").append(path.hops());
      long deadline = System.nanoTime() + timeout.toNanos();
      while (true) {
        long left = deadline - System.nanoTime();
        ReceivedPacket rp = left > 0 ? socket.receivePacket(Duration.ofNanos(left)) : null;
        if (rp == null) {
          selector.reportTimeout(path);
          break;
        }
        ScionPacket p = rp.packet();
        if (p.l4() instanceof UdpDatagram) {
          ReceivedDatagram d = socket.handle(rp);
          if (d != null && d.source().equals(destination) && isAnswer.test(d.payload())) {
            selector.reportSuccess(path);
            return new Response(d.payload(), path, attempt);
          }
          continue; // not from the peer we asked: ignore
        }
        socket.handle(rp); // SCMP: errors reach the selector through the listener
        if (((ScmpMessage) p.l4()).isError() && selector.isFaulty(path)) {
          break; // this path is known broken: retry at once on the next one
        }
      }
    }
    throw new SocketTimeoutException("no answer from " + destination + " after " + attempts + " attempt(s) of "
        + timeout.toMillis() + " ms over " + tried);
  }

  @Override
  public void close() {
    socket.close();
  }
}
