package org.s3mp.scion.socket;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.s3mp.scion.IsdAs;
import org.s3mp.scion.ManualClock;
import org.s3mp.scion.ScionAddress;
import org.s3mp.scion.ScionPath;
import org.s3mp.scion.TestPaths;
import org.s3mp.scion.daemon.PortRange;
import org.s3mp.scion.path.PathSelector;
import org.s3mp.scion.policy.PathPolicy;

/** Two meters in one AS behind in-JVM relays, asked by two clients over one shared socket. */
class SharedScionSocketTest {
  static final IsdAs A = IsdAs.parse("1-ff00:0:111");
  static final IsdAs B = IsdAs.parse("1-ff00:0:112");
  static final InetAddress LO = InetAddress.getLoopbackAddress();
  static final PortRange RANGE = new PortRange(31000, 32767);
  static final Duration BUDGET = Duration.ofSeconds(3);

  TestRelay lte;
  TestRelay leased;
  final List<ScionDatagramSocket> meters = new ArrayList<>();
  final List<Thread> meterThreads = new ArrayList<>();
  SharedScionSocket shared;
  ScionPath via110;
  ScionPath via120;
  final ManualClock clock = new ManualClock(Instant.now());

  @BeforeEach
  void setUp() throws Exception {
    lte = new TestRelay();
    leased = new TestRelay();
    for (String name : List.of("m1", "m2")) {
      ScionDatagramSocket meter = ScionDatagramSocket.open(B, LO, 0, RANGE, 1472);
      Thread t = new Thread(() -> {
        try {
          while (true) {
            ReceivedDatagram d = meter.receive(Duration.ofSeconds(30));
            if (d != null) { // the answer, and a stray second datagram the other client must never see
              meter.reply(d, (name + ":" + new String(d.payload(), StandardCharsets.UTF_8))
                  .getBytes(StandardCharsets.UTF_8));
              meter.reply(d, (name + ":stray").getBytes(StandardCharsets.UTF_8));
            }
          }
        } catch (IOException closed) {
          // socket closed: done
        }
      });
      t.start();
      meters.add(meter);
      meterThreads.add(t);
    }
    via110 = TestPaths.path("1-ff00:0:111 1>2 1-ff00:0:110 3>4 1-ff00:0:112", lte.address());
    via120 = TestPaths.path("1-ff00:0:111 5>6 1-ff00:0:120 7>8 1-ff00:0:112", leased.address());
    shared = SharedScionSocket.start(ScionDatagramSocket.open(A, LO, 0, RANGE, 1472));
  }

  @AfterEach
  void tearDown() throws Exception {
    shared.close();
    for (ScionDatagramSocket m : meters) {
      m.close();
    }
    for (Thread t : meterThreads) {
      t.join(5000);
    }
    lte.close();
    leased.close();
  }

  PathSelector selector() {
    return new PathSelector((dst, refresh) -> List.of(via110, via120), PathPolicy.allowAll(), clock,
        Duration.ofSeconds(60), Duration.ofMinutes(5), Duration.ofMinutes(10), null);
  }

  static String text(ScionDatagramClient.Response r) {
    return new String(r.payload(), StandardCharsets.UTF_8);
  }

  /** Asks {@code n} times, only ever accepting an answer to the request just sent (not a stray). */
  static List<String> ask(ScionDatagramClient c, ScionAddress meter, String tag, int n) throws IOException {
    List<String> answers = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      byte[] q = (tag + i).getBytes(StandardCharsets.UTF_8);
      answers.add(text(c.request(meter, q, BUDGET, a -> !new String(a, StandardCharsets.UTF_8).endsWith("stray"))));
    }
    return answers;
  }

  @Test
  void twoClientsShareOnePortAndEachGetsOnlyItsOwnMetersAnswers() throws Exception {
    ScionAddress m1 = meters.get(0).localAddress();
    ScionAddress m2 = meters.get(1).localAddress();
    ScionDatagramClient c1 = shared.client(m1, selector()).orElseThrow();
    ScionDatagramClient c2 = shared.client(m2, selector()).orElseThrow();
    assertThat(c1.socket().localAddress()).isEqualTo(c2.socket().localAddress());
    assertThat(shared.clients()).isEqualTo(2);

    CompletableFuture<List<String>> first = CompletableFuture.supplyAsync(() -> {
      try {
        return ask(c1, m1, "a", 20);
      } catch (IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    });
    List<String> second = ask(c2, m2, "b", 20);
    List<String> expected1 = new ArrayList<>();
    List<String> expected2 = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      expected1.add("m1:a" + i);
      expected2.add("m2:b" + i);
    }
    assertThat(first.get()).isEqualTo(expected1);
    assertThat(second).isEqualTo(expected2);

    c1.close(); // the socket stays open for the other client
    assertThat(shared.clients()).isEqualTo(1);
    assertThat(ask(c2, m2, "c", 1)).containsExactly("m2:c0");
    c2.close();
  }

  @Test
  void aSecondClientForTheSameMeterIsRefused() {
    ScionAddress m1 = meters.get(0).localAddress();
    ScionDatagramClient c1 = shared.client(m1, selector()).orElseThrow();
    assertThat(shared.client(m1, selector())).isEmpty();
    c1.close();
    assertThat(shared.client(m1, selector())).isPresent();
  }

  @Test
  void scmpErrorsReachTheClientsOverTheSharedSocketAndTheyFailOver() throws IOException {
    lte.interfaceDown.set(new long[] {IsdAs.parse("1-ff00:0:110").toLong(), 3});
    ScionAddress m1 = meters.get(0).localAddress();
    ScionDatagramClient c1 = shared.client(m1, selector()).orElseThrow();
    ScionDatagramClient.Response r = c1.request(m1, "x".getBytes(StandardCharsets.UTF_8), BUDGET);
    assertThat(text(r)).isEqualTo("m1:x");
    assertThat(r.path()).isEqualTo(via120);
    assertThat(r.failoverReason()).isEqualTo("SCMP interface down (1-ff00:0:110#3)");
    c1.close();
  }
}
