package org.s3mp.scion.socket;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.InetAddress;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.s3mp.scion.IsdAs;
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

  TestRelay lte;
  TestRelay leased;
  ScionDatagramSocket server;
  Thread serverThread;
  ScionDatagramClient client;
  ScionPath via110;
  ScionPath via120;

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
    via110 = TestPaths.path("1-ff00:0:111 1>2 1-ff00:0:110 3>4 1-ff00:0:112", lte.address());
    via120 = TestPaths.path("1-ff00:0:111 5>6 1-ff00:0:120 7>8 1-ff00:0:112", leased.address());
    PathSelector selector = new PathSelector((dst, refresh) -> List.of(via110, via120), PathPolicy.allowAll(),
        Clock.systemUTC(), Duration.ofSeconds(60), Duration.ofMinutes(5), Duration.ofMinutes(10), null);
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
    return client.request(server.localAddress(), text.getBytes(StandardCharsets.UTF_8), Duration.ofMillis(400), 3);
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
    assertThat(client.selector().isFaulty(via110)).isTrue();
    // and stays on the working path
    assertThat(ask("3").path()).isEqualTo(via120);
    assertThat(lte.dropped.get()).isEqualTo(1);
  }

  @Test
  void failsOverOnTimeouts() throws IOException {
    lte.dropNext.set(1);
    ScionDatagramClient.Response r = ask("4");
    assertThat(text(r)).isEqualTo("re:4");
    assertThat(r.path()).isEqualTo(via120);
    assertThat(r.attempt()).isEqualTo(2);
    assertThat(lte.dropped.get()).isEqualTo(1);
  }

  @Test
  void givesUpWithAClearErrorWhenNothingAnswers() {
    lte.dropNext.set(100);
    leased.dropNext.set(100);
    assertThatThrownBy(() -> ask("5")).isInstanceOf(SocketTimeoutException.class)
        .hasMessageContaining("after 3 attempt(s)").hasMessageContaining("1-ff00:0:120");
  }

  @Test
  void sendReportsThePathUsed() throws IOException {
    assertThat(client.send(server.localAddress(), new byte[] {1})).isEqualTo(via110);
  }
}
