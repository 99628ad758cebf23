package org.s3mp.dlms.transport.scion;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.s3mp.dlms.transport.PduHandler;
import org.s3mp.scion.IsdAs;
import org.s3mp.scion.ScionAddress;
import org.s3mp.scion.ScionPath;
import org.s3mp.scion.daemon.PortRange;
import org.s3mp.scion.socket.ScionDatagramSocket;
import org.s3mp.scion.socket.ScionPing;
import org.s3mp.testbed.LoopbackBlock;

/**
 * The meter's SCION listener on loopback (no daemon, one AS): what an untrusted source sends, datagram or SCMP echo
 * request, never reaches the DLMS handler and gets no answer; it is counted.
 */
class ScionServerEndpointTest {
  static final IsdAs AS = IsdAs.parse("1-ff00:0:111");
  /** An address of a loopback block of our own: another build on this host may use 127.0.0.1:30041 meanwhile. */
  static LoopbackBlock block;
  static InetAddress LO;
  static final Duration WAIT = Duration.ofSeconds(3);

  @BeforeAll
  static void claimAddress() throws Exception {
    block = LoopbackBlock.claim();
    LO = InetAddress.getByName("127." + block.number() + ".0.1");
  }

  @AfterAll
  static void releaseAddress() throws Exception {
    block.close();
  }

  final List<byte[]> handled = new CopyOnWriteArrayList<>();
  final CompletableFuture<byte[]> first = new CompletableFuture<>();
  final PduHandler handler = (peer, pdu, endpoint) -> {
    handled.add(pdu);
    first.complete(pdu);
  };

  /** Bound at the end-host port, where echo requests inside an AS go (the dispatcher's port in scionproto). */
  private ScionServerEndpoint meter(String trust) throws Exception {
    ScionDatagramSocket socket = ScionDatagramSocket.open(AS, LO, ScionDatagramSocket.ENDHOST_DEFAULT_PORT,
        new PortRange(ScionDatagramSocket.ENDHOST_DEFAULT_PORT, 32767), 1472);
    return ScionServerEndpoint.start(socket, handler, TrustedSources.parseList(trust));
  }

  @Test
  void untrustedDatagramsAndEchoRequestsAreDroppedAndCounted() throws Exception {
    try (ScionServerEndpoint meter = meter("1-ff00:0:112");
        ScionDatagramSocket outsider = ScionDatagramSocket.open(AS, LO, 0, new PortRange(31000, 32767), 1472)) {
      ScionAddress to = new ScionAddress(AS, LO, ScionDatagramSocket.ENDHOST_DEFAULT_PORT);
      assertThat(echo(outsider, Duration.ofMillis(800)).replied()).isFalse();
      await("the echo request counted as dropped", () -> meter.droppedUntrusted() == 1);
      outsider.send(new byte[] {0, 1, 0, 16, 0, 1, 0, 1, 0x60}, to, local());
      assertThat(outsider.receive(Duration.ofMillis(500))).isNull();
      await("the datagram counted as dropped", () -> meter.droppedUntrusted() == 2);
      assertThat(handled).isEmpty();
    }
  }

  @Test
  void trustedSourcesGetAnswers() throws Exception {
    try (ScionServerEndpoint meter = meter("1-ff00:0:111," + LO.getHostAddress());
        ScionDatagramSocket trusted = ScionDatagramSocket.open(AS, LO, 0, new PortRange(31000, 32767), 1472)) {
      assertThat(echo(trusted, WAIT).replied()).isTrue();
      trusted.send(new byte[] {0, 1, 0, 16, 0, 1, 0, 1, 0x60}, new ScionAddress(AS, LO,
          ScionDatagramSocket.ENDHOST_DEFAULT_PORT), local());
      assertThat(first.get(WAIT.toMillis(), TimeUnit.MILLISECONDS)).hasSize(9);
      assertThat(meter.droppedUntrusted()).isZero();
    }
  }

  private static ScionPing.Result echo(ScionDatagramSocket from, Duration timeout) throws Exception {
    return ScionPing.echo(from, new ScionAddress(AS, LO, 0), local(), 1, 8, timeout);
  }

  /** The meter's receiving thread counts a drop a moment after the packet arrived: wait for it, with a deadline. */
  private static void await(String what, java.util.function.BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("not within " + WAIT + ": " + what);
      }
      Thread.sleep(10);
    }
  }

  private static ScionPath local() {
    return ScionPath.local(AS, 1472, Instant.now().plusSeconds(60));
  }
}
