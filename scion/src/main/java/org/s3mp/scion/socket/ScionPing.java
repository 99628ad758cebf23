package org.s3mp.scion.socket;

import java.io.IOException;
import java.time.Duration;
import org.s3mp.scion.ScionAddress;
import org.s3mp.scion.ScionPath;
import org.s3mp.scion.packet.ScionPacket;
import org.s3mp.scion.packet.ScmpMessage;

/** SCMP echo (ping) over a {@link ScionDatagramSocket}; the echo identifier is the socket's port. */
public final class ScionPing {
  private ScionPing() {}

  /** One echo exchange: the round trip time, or why there was none. */
  public record Result(int sequence, Duration rtt, ScmpMessage error) {
    public boolean replied() {
      return rtt != null;
    }
  }

  /** Sends one echo request with {@code size} payload bytes and waits up to {@code timeout} for its reply. */
  public static Result echo(ScionDatagramSocket socket, ScionAddress dst, ScionPath path, int sequence, int size,
      Duration timeout) throws IOException {
    int id = socket.localAddress().port();
    byte[] data = new byte[size];
    for (int i = 0; i < size; i++) {
      data[i] = (byte) i;
    }
    long start = System.nanoTime();
    socket.sendL4(ScmpMessage.Echo.request(id, sequence & 0xFFFF, data), dst.withPort(0), path);
    long deadline = start + timeout.toNanos();
    while (true) {
      long left = deadline - System.nanoTime();
      ReceivedPacket rp = left > 0 ? socket.receivePacket(Duration.ofNanos(left)) : null;
      if (rp == null) {
        return new Result(sequence, null, null);
      }
      ScionPacket p = rp.packet();
      if (p.l4() instanceof ScmpMessage.Echo e && e.type() == ScmpMessage.ECHO_REPLY && e.identifier() == id
          && e.sequence() == (sequence & 0xFFFF)) {
        return new Result(sequence, Duration.ofNanos(System.nanoTime() - start), null);
      }
      socket.handle(rp);
      if (p.l4() instanceof ScmpMessage m && m.isError()) {
        return new Result(sequence, null, m);
      }
    }
  }
}
