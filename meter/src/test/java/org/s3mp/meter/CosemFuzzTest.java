package org.s3mp.meter;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.s3mp.dlms.MeterEvent;
import org.s3mp.dlms.MeterObjects;
import org.s3mp.dlms.client.ClientSecurity;
import org.s3mp.dlms.client.EventRecord;
import org.s3mp.dlms.client.MeterClient;
import org.s3mp.dlms.client.RelayState;
import org.s3mp.dlms.security.KeysFile;
import org.s3mp.dlms.transport.MeterUrl;
import org.s3mp.dlms.transport.Peer;
import org.s3mp.dlms.transport.ServerEndpoint;
import org.s3mp.meter.drivers.LoggingDisplay;
import org.s3mp.meter.drivers.LoggingRelay;

/**
 * 100,000+ random and mutated wrapper PDUs (mutations of a recorded valid session: bit flips, truncations,
 * wrong lengths, random APDU bodies) fed to the agent's DLMS server in-process, plus a share over real TCP. The
 * agent must survive, keep its stored state, and still serve valid clients.
 */
class CosemFuzzTest {
  static final int IN_PROCESS_FRAMES = 100_000;
  static final int TCP_FRAMES = 5_000;

  @TempDir Path dir;
  KeysFile keys = TestKeys.random();
  MeterAgent agent;
  MeterUrl url;
  final Random random = new Random(20260101);

  @BeforeEach
  void start() throws Exception {
    agent = MeterAgent.start(new AgentConfig(dir, List.of(MeterUrl.parse("tcp://127.0.0.1:0")), keys,
        Sources.simulated(3), 900, new LoggingRelay(), new LoggingDisplay(), "FUZZ-1"));
    url = agent.endpoints().get(0);
  }

  @AfterEach
  void stop() {
    agent.close();
  }

  record FakePeer(int n) implements Peer {
    @Override
    public String id() {
      return "fuzz:" + n;
    }
  }

  /** Counts answers; answers nothing. */
  static final class CountingEndpoint implements ServerEndpoint {
    final AtomicLong answers = new AtomicLong();

    @Override
    public MeterUrl localUrl() {
      return new MeterUrl("fuzz", "local");
    }

    @Override
    public boolean datagram() {
      return false;
    }

    @Override
    public void send(Peer peer, byte[] pdu) {
      answers.incrementAndGet();
    }

    @Override
    public void close() {}
  }

  List<byte[]> recordValidSession() throws Exception {
    RecordingTransport.REQUESTS.clear();
    try (MeterClient c = MeterClient.open(new MeterUrl("rec", url.address()), ClientSecurity.management(keys),
        Duration.ofSeconds(5))) {
      c.readRegisters();
      c.readClock();
      c.readLoadProfile(1, 0);
      c.readEventLog();
      // state-changing requests, so that an accepted replay would show: their effect is undone below
      c.setMessage("recorded");
      c.disconnect();
    }
    try (MeterClient c = MeterClient.open(new MeterUrl("rec", url.address()), ClientSecurity.publicClient(),
        Duration.ofSeconds(5))) {
      c.readSerialNumber();
    }
    List<byte[]> session = new ArrayList<>(RecordingTransport.REQUESTS);
    try (MeterClient c = MeterClient.open(url, ClientSecurity.management(keys), Duration.ofSeconds(5))) {
      c.setMessage("seed");
      c.reconnect();
    }
    return session;
  }

  byte[] mutate(List<byte[]> corpus) {
    int kind = random.nextInt(8);
    byte[] base = corpus.get(random.nextInt(corpus.size())).clone();
    switch (kind) {
      case 0 -> { // bit flips
        for (int i = 0, n = 1 + random.nextInt(4); i < n; i++) {
          int pos = random.nextInt(base.length);
          base[pos] ^= (byte) (1 << random.nextInt(8));
        }
        return base;
      }
      case 1 -> { // random bytes overwritten in the APDU
        for (int i = 0, n = 1 + random.nextInt(8); i < n && base.length > 8; i++) {
          base[8 + random.nextInt(base.length - 8)] = (byte) random.nextInt(256);
        }
        return base;
      }
      case 2 -> { // truncated, header length fixed up
        int len = 8 + random.nextInt(Math.max(1, base.length - 8));
        byte[] t = java.util.Arrays.copyOf(base, len);
        return withLength(t);
      }
      case 3 -> { // truncated, header length kept (inconsistent)
        return java.util.Arrays.copyOf(base, random.nextInt(base.length));
      }
      case 4 -> { // random APDU behind a valid header
        byte[] apdu = new byte[random.nextInt(300)];
        random.nextBytes(apdu);
        if (apdu.length > 0 && random.nextBoolean()) {
          int[] tags = {0x60, 0x62, 0xC0, 0xC1, 0xC3, 0xC8, 0xC9, 0xCB, 0xDB, 0xE6};
          apdu[0] = (byte) tags[random.nextInt(tags.length)];
        }
        byte[] f = new byte[8 + apdu.length];
        f[1] = 1;
        f[3] = (byte) (random.nextBoolean() ? 1 : 16);
        f[5] = 1;
        System.arraycopy(apdu, 0, f, 8, apdu.length);
        return withLength(f);
      }
      case 5 -> { // extended with garbage
        byte[] e = java.util.Arrays.copyOf(base, base.length + 1 + random.nextInt(64));
        for (int i = base.length; i < e.length; i++) {
          e[i] = (byte) random.nextInt(256);
        }
        return random.nextBoolean() ? withLength(e) : e;
      }
      case 6 -> { // pure noise
        byte[] n = new byte[random.nextInt(100)];
        random.nextBytes(n);
        return n;
      }
      default -> { // the valid frame unchanged (sessions advance, replays)
        return base;
      }
    }
  }

  static byte[] withLength(byte[] f) {
    if (f.length >= 8) {
      int len = f.length - 8;
      f[6] = (byte) (len >> 8);
      f[7] = (byte) len;
    }
    return f;
  }

  @Test
  @Timeout(180)
  void randomAndMutatedFramesNeitherCrashNorCorrupt() throws Exception {
    List<byte[]> corpus = recordValidSession();
    assertThat(corpus).hasSizeGreaterThan(10);
    byte[] stateBefore = Files.readAllBytes(dir.resolve("state.properties"));
    byte[] profileBefore = Files.readAllBytes(dir.resolve("load-profile.bin"));
    int eventsBefore;
    try (MeterClient c = MeterClient.open(url, ClientSecurity.management(keys), Duration.ofSeconds(5))) {
      eventsBefore = c.readEventLog().size();
    }

    CountingEndpoint endpoint = new CountingEndpoint();
    var handler = agent.pduHandler();
    // the recorded sessions replayed whole and in order, as an eavesdropper would, from fresh peers
    for (int p = 0; p < 3; p++) {
      FakePeer peer = new FakePeer(1000 + p);
      corpus.forEach(frame -> handler.received(peer, frame.clone(), endpoint));
      handler.closed(peer);
    }
    for (int i = 0; i < IN_PROCESS_FRAMES; i++) {
      FakePeer peer = new FakePeer(random.nextInt(24));
      handler.received(peer, mutate(corpus), endpoint);
      if (random.nextInt(500) == 0) {
        handler.closed(peer);
      }
    }
    assertThat(endpoint.answers.get()).as("many frames are answered (errors or data)").isPositive();

    fuzzOverTcp(corpus);

    assertThat(Files.readAllBytes(dir.resolve("state.properties"))).isEqualTo(stateBefore);
    assertThat(Files.readAllBytes(dir.resolve("load-profile.bin"))).isEqualTo(profileBefore);
    try (MeterClient c = MeterClient.open(url, ClientSecurity.management(keys), Duration.ofSeconds(5))) {
      assertThat(c.readRelay()).isEqualTo(new RelayState(true, RelayState.Control.CONNECTED));
      assertThat(c.readMessage()).isEqualTo("seed");
      assertThat(c.readRegister(MeterObjects.VOLTAGE_L1).value().doubleValue()).isBetween(225.0, 235.0);
      List<EventRecord> events = c.readEventLog();
      // garbage may add (collapsed) failed-authentication events, nothing else
      assertThat(events.subList(eventsBefore, events.size())).extracting(EventRecord::event)
          .allMatch(e -> e == MeterEvent.AUTHENTICATION_FAILED);
      assertThat(events.size() - eventsBefore).isLessThan(10);
      assertThat(c.disconnect().outputConnected()).isFalse();
      assertThat(c.reconnect().outputConnected()).isTrue();
    }
  }

  /** Frames over real TCP without waiting for answers; reconnects when the meter drops the connection. */
  void fuzzOverTcp(List<byte[]> corpus) throws Exception {
    int sent = 0;
    while (sent < TCP_FRAMES) {
      try (Socket s = new Socket(url.hostPort().host(), url.hostPort().port())) {
        InputStream in = s.getInputStream();
        Thread drain = new Thread(() -> {
          try {
            in.transferTo(OutputStream.nullOutputStream());
          } catch (IOException ignored) {
            // connection closed
          }
        });
        drain.setDaemon(true);
        drain.start();
        OutputStream out = s.getOutputStream();
        try {
          for (int i = 0; i < 200 && sent < TCP_FRAMES; i++, sent++) {
            out.write(mutate(corpus));
          }
          out.flush();
          s.shutdownOutput();
        } catch (IOException dropped) {
          // the meter closed a connection that sent a bad header: expected
        }
        drain.join(10_000);
      }
    }
  }
}
