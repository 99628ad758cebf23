package org.s3mp.scion.socket;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.InetAddress;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.s3mp.scion.IsdAs;
import org.s3mp.scion.ManualClock;
import org.s3mp.scion.ScionPath;
import org.s3mp.scion.TestPaths;
import org.s3mp.scion.daemon.PortRange;
import org.s3mp.scion.path.PathSelector;
import org.s3mp.scion.policy.PathPolicy;

/** Failover through two in-JVM relays standing in for the border routers of two disjoint paths. */
class ScionDatagramClientTest {
  static final IsdAs A = IsdAs.parse("1-ff00:0:111");
  static final IsdAs B = IsdAs.parse("1-ff00:0:112");
  static final InetAddress LO = InetAddress.getLoopbackAddress();
  static final PortRange RANGE = new PortRange(31000, 32767);
  /** Room for the first path's initial 1 s timeout and a second attempt. */
  static final Duration BUDGET = Duration.ofMillis(1500);

  TestRelay lte;
  TestRelay leased;
  ScionDatagramSocket server;
  Thread serverThread;
  ScionDatagramClient client;
  ScionPath via110;
  ScionPath via120;
  final ManualClock clock = new ManualClock(Instant.now());

  @BeforeEach
  void setUp() throws Exception {
    lte = new TestRelay();
    leased = new TestRelay();
    server = ScionDatagramSocket.open(B, LO, 0, RANGE, 1472);
    serverThread = new Thread(() -> {
      try {
        while (true) {
          ReceivedDatagram d = server.receive(Duration.ofSeconds(30));
          if (d != null) {
            server.reply(d, ("re:" + new String(d.payload(), StandardCharsets.UTF_8)).getBytes(StandardCharsets.UTF_8));
          }
        }
      } catch (IOException closed) {
        // socket closed: done
      }
    });
    serverThread.start();
    lte.echoPort = server.localAddress().port(); // the server socket answers echo requests as a host's responder
    leased.echoPort = server.localAddress().port();
    via110 = TestPaths.path("1-ff00:0:111 1>2 1-ff00:0:110 3>4 1-ff00:0:112", lte.address());
    via120 = TestPaths.path("1-ff00:0:111 5>6 1-ff00:0:120 7>8 1-ff00:0:112", leased.address());
    PathSelector selector = new PathSelector((dst, refresh) -> List.of(via110, via120), PathPolicy.allowAll(),
        clock, Duration.ofSeconds(60), Duration.ofMinutes(5), Duration.ofMinutes(10), null);
    client = new ScionDatagramClient(ScionDatagramSocket.open(A, LO, 0, RANGE, 1472), selector);
  }

  @AfterEach
  void tearDown() throws Exception {
    client.close();
    server.close();
    serverThread.join(5000);
    lte.close();
    leased.close();
  }

  private ScionDatagramClient.Response ask(String text) throws IOException {
    return client.request(server.localAddress(), text.getBytes(StandardCharsets.UTF_8), BUDGET);
  }

  private static String text(ScionDatagramClient.Response r) {
    return new String(r.payload(), StandardCharsets.UTF_8);
  }

  @Test
  void usesThePreferredPathAndReportsIt() throws IOException {
    ScionDatagramClient.Response r = ask("1");
    assertThat(text(r)).isEqualTo("re:1");
    assertThat(r.path()).isEqualTo(via110);
    assertThat(r.attempt()).isEqualTo(1);
    assertThat(r.failoverReason()).isNull();
    assertThat(lte.forwarded.get()).isEqualTo(2);
    assertThat(leased.forwarded.get()).isZero();
  }

  @Test
  void failsOverOnScmpExternalInterfaceDown() throws IOException {
    lte.interfaceDown.set(new long[] {IsdAs.parse("1-ff00:0:110").toLong(), 3});
    ScionDatagramClient.Response r = ask("2");
    assertThat(text(r)).isEqualTo("re:2");
    assertThat(r.path()).isEqualTo(via120);
    assertThat(r.attempt()).isEqualTo(2);
    assertThat(r.failoverReason()).isEqualTo("SCMP interface down (1-ff00:0:110#3)");
    assertThat(client.selector().isFaulty(via110)).isTrue();
    // and stays on the working path while the broken one is not due for a probe
    assertThat(ask("3").path()).isEqualTo(via120);
    assertThat(lte.dropped.get()).isEqualTo(1);
  }

  @Test
  void aRepairedPathIsProbedAndPreferredAgain() throws IOException {
    lte.interfaceDown.set(new long[] {IsdAs.parse("1-ff00:0:110").toLong(), 3});
    assertThat(ask("a").path()).isEqualTo(via120);
    lte.interfaceDown.set(null);
    // the probe goes out with the next request once due; its echo reply makes the preferred path healthy again
    clock.advance(Duration.ofSeconds(1));
    assertThat(ask("b").path()).isEqualTo(via120); // the probe went out beside it
    // the echo reply is taken in by this or the next request; then the preferred path is back
    await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(50))
        .until(() -> ask("c").path().equals(via110));
    assertThat(client.selector().isFaulty(via110)).isFalse();
    assertThat(lte.forwarded.get()).isGreaterThanOrEqualTo(4); // probe and echo reply, request and answer
  }

  @Test
  void aFaultyPathStaysOutWhileItsProbesFail() throws IOException {
    lte.interfaceDown.set(new long[] {IsdAs.parse("1-ff00:0:110").toLong(), 3});
    ask("a");
    clock.advance(Duration.ofSeconds(1));
    assertThat(ask("b").path()).isEqualTo(via120);
    // the first request, then the probe (which the relay's own thread counts, so wait for it)
    await().atMost(Duration.ofSeconds(10)).until(() -> lte.dropped.get() >= 2);
    assertThat(lte.dropped.get()).isEqualTo(2);
    assertThat(client.selector().isFaulty(via110)).isTrue();
  }

  @Test
  void whenEveryPathFailsScmpErrorsDoNotUseUpTheTimeout() {
    long[] down = {IsdAs.parse("1-ff00:0:110").toLong(), 3};
    lte.interfaceDown.set(down);
    leased.interfaceDown.set(new long[] {IsdAs.parse("1-ff00:0:120").toLong(), 7});
    long start = System.nanoTime();
    assertThatThrownBy(() -> ask("x")).isInstanceOf(SocketTimeoutException.class)
        .hasMessageContaining("within 1500 ms");
    // it waited for its whole timeout instead of giving up on the first errors, and did not spin meanwhile:
    // every timeout is at least 200 ms, so at most 1500 / 200 + 2 sends
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(BUDGET);
    assertThat(lte.dropped.get() + leased.dropped.get()).isBetween(2, 10);
  }

  @Test
  void theTimeoutFollowsTheMeasuredRoundTrip() throws IOException {
    assertThat(client.selector().retransmissionTimeout(via110)).isEqualTo(Duration.ofSeconds(1));
    for (int i = 0; i < 5; i++) {
      ask("rtt" + i);
    }
    // a loopback round trip is far below the floor; a loaded host may stretch a few (the timeout follows them, still
    // well below the initial second)
    Duration rtt = client.selector().smoothedRoundTrip(via110).orElseThrow();
    assertThat(client.selector().retransmissionTimeout(via110)).isGreaterThanOrEqualTo(Duration.ofMillis(200))
        .isGreaterThan(rtt).isLessThan(Duration.ofSeconds(1));
  }

  @Test
  void failsOverOnTimeouts() throws IOException {
    lte.dropNext.set(1);
    ScionDatagramClient.Response r = ask("4");
    assertThat(text(r)).isEqualTo("re:4");
    assertThat(r.path()).isEqualTo(via120);
    assertThat(r.attempt()).isEqualTo(2);
    assertThat(r.failoverReason()).isEqualTo("timeout");
    assertThat(lte.dropped.get()).isEqualTo(1);
  }

  @Test
  void aLateAnswerOverTheFirstPathProvesItsTimeoutSpurious() throws IOException {
    lte.delayNext.set(1); // the request over the preferred path arrives, but after its 1 s timeout
    lte.delay = Duration.ofMillis(1300);
    leased.dropNext.set(1); // and the retransmission over the other path is lost
    ScionDatagramClient.Response r =
        client.request(server.localAddress(), "late".getBytes(StandardCharsets.UTF_8), Duration.ofSeconds(4));
    assertThat(text(r)).isEqualTo("re:late");
    // the answer came back over the first path: it carried the request, so no failover happened
    assertThat(r.path()).isEqualTo(via110);
    assertThat(r.attempt()).isEqualTo(1);
    assertThat(r.failoverReason()).isNull();
    assertThat(client.spuriousTimeouts()).isEqualTo(1);
    assertThat(client.selector().isFaulty(via110)).isFalse();
    // its round trip is a true sample (one transmission over that path): the timeout now covers it
    assertThat(client.selector().smoothedRoundTrip(via110)).hasValueSatisfying(
        rtt -> assertThat(rtt).isGreaterThanOrEqualTo(Duration.ofMillis(1300)));
    assertThat(client.selector().retransmissionTimeout(via110)).isGreaterThan(Duration.ofMillis(1300));
    assertThat(ask("next").path()).isEqualTo(via110);
  }

  @Test
  void anAnswerOverTheRetransmissionsPathIsAFailover() throws IOException {
    lte.dropNext.set(1);
    ScionDatagramClient.Response r = ask("lost");
    assertThat(r.path()).isEqualTo(via120);
    assertThat(client.spuriousTimeouts()).isZero();
    assertThat(client.selector().isFaulty(via110)).isTrue();
    // the first path's timeout stays backed off: 1 s doubled
    assertThat(client.selector().retransmissionTimeout(via110)).isEqualTo(Duration.ofSeconds(2));
  }

  @Test
  void givesUpWithAClearErrorWhenNothingAnswers() {
    lte.dropNext.set(100);
    leased.dropNext.set(100);
    assertThatThrownBy(() -> ask("5")).isInstanceOf(SocketTimeoutException.class)
        .hasMessageContaining("within 1500 ms").hasMessageContaining("1-ff00:0:110").hasMessageContaining("1-ff00:0:120");
  }

  @Test
  void sendReportsThePathUsed() throws IOException {
    assertThat(client.send(server.localAddress(), new byte[] {1})).isEqualTo(via110);
  }
}
