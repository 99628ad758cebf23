package org.s3mp.headend.push;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.DataInputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.s3mp.dlms.MeterObjects;
import org.s3mp.dlms.client.ClientSecurity;
import org.s3mp.dlms.client.MeterClient;
import org.s3mp.dlms.push.Notification;
import org.s3mp.dlms.security.KeysFile;
import org.s3mp.headend.Conditions;
import org.s3mp.headend.fleet.FleetRegistry;
import org.s3mp.headend.fleet.MeterSpec;
import org.s3mp.headend.fleet.Reading;
import org.s3mp.headend.storage.Database;
import org.s3mp.headend.storage.PushStore;
import org.s3mp.headend.storage.ReadingStore;
import org.s3mp.meter.AgentConfig;
import org.s3mp.meter.MeterAgent;
import org.s3mp.meter.Sources;
import org.s3mp.meter.drivers.LoggingDisplay;
import org.s3mp.meter.drivers.LoggingRelay;
import org.s3mp.dlms.transport.MeterUrl;

/**
 * The head-end's push listener fed with frames a real meter agent pushed (captured on the way): stored with
 * source push, replays refused also after a restart of the listener, removed meters refused as unknown.
 */
class PushListenerTest {
  static final Duration WAIT = Duration.ofSeconds(15);
  @TempDir Path dir;
  KeysFile keys = KeysFile.generate(new byte[] {'S', '3', 'M', 'P', 'H', 'E', 0, 1},
      new byte[] {'S', '3', 'M', 'P', 0, 0, 4, 2});
  Database db;
  FleetRegistry registry;
  ReadingStore readings;
  SimpleMeterRegistry metrics = new SimpleMeterRegistry();
  final List<byte[]> captured = new CopyOnWriteArrayList<>();
  ServerSocket recorder;
  MeterAgent meter;

  @BeforeEach
  void start() throws Exception {
    db = Database.open(dir.resolve("db/headend").toString(), null, null);
    registry = new FleetRegistry(db);
    readings = new ReadingStore(db);
    Path keysFile = dir.resolve("m1.keys");
    Files.writeString(keysFile, keys.format());
    registry.put(new MeterSpec("m1", "tcp://127.0.0.1:4059", keysFile.toString(), null, false, 0, false));
    recorder = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
    Thread t = new Thread(this::record, "recorder");
    t.setDaemon(true);
    t.start();
    meter = MeterAgent.start(new AgentConfig(dir.resolve("meter"), List.of(MeterUrl.parse("tcp://127.0.0.1:0")),
        keys, Sources.simulated(5), 900, new LoggingRelay(), new LoggingDisplay(), "TEST-42")
        .withPush(AgentConfig.Push.parse("tcp://127.0.0.1:" + recorder.getLocalPort(), null, null)));
  }

  @AfterEach
  void stop() throws IOException {
    meter.close();
    recorder.close();
    readings.close();
    db.close();
  }

  private void record() {
    record(recorder, captured);
  }

  /** Pushes of the meter: {@code events} relay events, then registers once (period 1 s, then off). */
  private void capture(int events, boolean registers) throws Exception {
    try (MeterClient c = MeterClient.open(meter.endpoints().get(0), ClientSecurity.management(keys),
        Duration.ofSeconds(5))) {
      for (int i = 0; i < events; i++) {
        if (i % 2 == 0) {
          c.disconnect();
        } else {
          c.reconnect();
        }
      }
      Conditions.await(events + " events captured", WAIT, () -> captured.size() >= events);
      if (registers) {
        c.setPushPeriod(1);
        Conditions.await("a registers push captured", WAIT, () -> captured.size() >= events + 1);
        c.setPushPeriod(0);
      }
    }
  }

  double refused(String reason) {
    return metrics.get("headend.push.refused").tag("reason", reason).counter().count();
  }

  @Test
  void pushedRegistersAreStoredAsPushedReadingsAndEventsAsEvents() throws Exception {
    capture(1, true);
    PushStore store = new PushStore(db);
    PushListener listener = new PushListener(registry, readings, store, metrics);
    List<PushStore.PushedEvent> heard = new java.util.concurrent.CopyOnWriteArrayList<>();
    listener.onEvent(heard::add);
    Notification event = listener.receiver().handle(captured.get(0), "test");
    // the fleet takes the relay state from this (FleetPoller.relayPushed)
    assertThat(heard).singleElement().satisfies(e -> {
      assertThat(e.meterId()).isEqualTo("m1");
      assertThat(e.relayConnected()).isFalse();
    });
    assertThat(event.event()).isEqualTo(org.s3mp.dlms.MeterEvent.DISCONNECT);
    Notification regs = listener.receiver().handle(captured.get(1), "test");
    assertThat(regs.pushSetup()).isEqualTo(MeterObjects.PUSH_REGISTERS);
    Conditions.await("the pushed reading stored", WAIT, () -> !readings.between("m1", Instant.EPOCH,
        Instant.now().plusSeconds(1), 10).isEmpty());
    Reading stored = readings.between("m1", Instant.EPOCH, Instant.now().plusSeconds(1), 10).get(0);
    assertThat(stored.source()).isEqualTo(Reading.PUSH);
    assertThat(stored.values()).anySatisfy(v -> assertThat(v.obis()).isEqualTo("1.0.32.7.0.255"));
    List<PushStore.PushedEvent> events = store.events("m1", Instant.EPOCH, Instant.now().plusSeconds(1), 10);
    assertThat(events).singleElement().satisfies(e -> {
      assertThat(e.event()).isEqualTo("DISCONNECT");
      assertThat(e.relayConnected()).isFalse();
    });
    assertThat(metrics.get("headend.push.received").tag("setup", "registers").counter().count()).isEqualTo(1);
    assertThat(metrics.get("headend.push.received").tag("setup", "events").counter().count()).isEqualTo(1);
  }

  @Test
  void aReplayIsRefusedAlsoAfterARestartOfTheListener() throws Exception {
    capture(2, false);
    PushListener first = new PushListener(registry, readings, new PushStore(db), metrics);
    List<String> refusals = new java.util.concurrent.CopyOnWriteArrayList<>();
    first.onRefused((reason, from, detail) -> refusals.add(reason + " from " + from));
    assertThat(first.receiver().handle(captured.get(1), "test")).isNotNull();
    // the older frame was never accepted, but its counter is below the last accepted one
    assertThat(first.receiver().handle(captured.get(0), "test")).isNull();
    assertThat(first.receiver().handle(captured.get(1), "test")).isNull();
    assertThat(refused("replayed")).isEqualTo(2);
    assertThat(refusals).as("the alarms hear of each").containsExactly("replayed from test", "replayed from test");

    SimpleMeterRegistry afterRestart = new SimpleMeterRegistry();
    PushListener second = new PushListener(registry, readings, new PushStore(db), afterRestart);
    assertThat(second.receiver().handle(captured.get(1), "test")).isNull();
    assertThat(afterRestart.get("headend.push.refused").tag("reason", "replayed").counter().count()).isEqualTo(1);
  }

  @Test
  void newKeysInTheMetersKeysFileAreUsed() throws Exception {
    capture(2, false);
    PushListener listener = new PushListener(registry, readings, new PushStore(db), metrics);
    assertThat(listener.receiver().handle(captured.get(0), "test")).isNotNull();
    // the keys were rotated at the head-end: the meter's frames under its old keys no longer authenticate
    Files.writeString(dir.resolve("m1.keys"),
        KeysFile.generate(keys.clientSystemTitle(), keys.serverSystemTitle()).format());
    Conditions.await("the new keys in use", WAIT, () -> {
      assertThat(listener.receiver().handle(captured.get(1), "test")).isNull();
      return refused("wrong_keys") >= 1;
    });
  }

  @Test
  void keysRotatedInTheKeyStoreAreUsedAtOnceAndTheOldOnesRefused() throws Exception {
    capture(2, false); // two events under the keys file's keys
    // the meter after a rotation: same data (so its counter goes on), new keys; one event pushed with them
    KeysFile rotated = KeysFile.generate(keys.clientSystemTitle(), keys.serverSystemTitle());
    List<byte[]> afterRotation = new CopyOnWriteArrayList<>();
    try (ServerSocket second = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      Thread t = new Thread(() -> record(second, afterRotation), "recorder-2");
      t.setDaemon(true);
      t.start();
      meter.close();
      meter = MeterAgent.start(new AgentConfig(dir.resolve("meter"), List.of(MeterUrl.parse("tcp://127.0.0.1:0")),
          rotated, Sources.simulated(5), 900, new LoggingRelay(), new LoggingDisplay(), "TEST-42")
          .withPush(AgentConfig.Push.parse("tcp://127.0.0.1:" + second.getLocalPort(), null, null)));
      try (MeterClient c = MeterClient.open(meter.endpoints().get(0), ClientSecurity.management(rotated),
          Duration.ofSeconds(5))) {
        c.disconnect(); // connected after capture(2): disconnect, reconnect
      }
      Conditions.await("the event under the new keys captured", WAIT, () -> afterRotation.size() >= 1);
    }

    org.s3mp.headend.keys.MeterKeyStore keyStore = org.s3mp.headend.keys.MeterKeyStore.open(db,
        java.util.Optional.of(org.s3mp.headend.keys.MasterKey.random()));
    PushListener listener = new PushListener(registry, readings, new PushStore(db), metrics, keyStore);
    List<String> refusals = new CopyOnWriteArrayList<>();
    listener.onRefused((reason, from, detail) -> refusals.add(reason + ": " + detail));
    assertThat(listener.receiver().handle(captured.get(0), "test")).as("the keys file's keys").isNotNull();
    // the rotation stores and confirms the new keys; the listener indexed the old ones a moment ago
    keyStore.putPending("m1", rotated);
    keyStore.confirm("m1", rotated);
    assertThat(listener.receiver().handle(captured.get(1), "test")).as("the old keys right after").isNull();
    assertThat(refused("wrong_keys")).isEqualTo(1);
    Notification accepted = listener.receiver().handle(afterRotation.get(0), "test");
    assertThat(accepted).as("the new keys right after the rotation; refusals: " + refusals).isNotNull();
    assertThat(accepted.event()).isEqualTo(org.s3mp.dlms.MeterEvent.DISCONNECT);
    assertThat(refused("unknown_meter")).isZero();
  }

  /** Frames as the meter sent them: IEC 62056-47 wrapper PDUs (8-byte header with the length). */
  private static void record(ServerSocket server, List<byte[]> into) {
    try (Socket s = server.accept()) {
      DataInputStream in = new DataInputStream(s.getInputStream());
      while (true) {
        byte[] header = new byte[8];
        in.readFully(header);
        byte[] pdu = java.util.Arrays.copyOf(header, 8 + (((header[6] & 0xFF) << 8) | (header[7] & 0xFF)));
        in.readFully(pdu, 8, pdu.length - 8);
        into.add(pdu);
      }
    } catch (IOException e) {
      // closed
    }
  }

  @Test
  void aRemovedMeterAndGarbageAreRefused() throws Exception {
    capture(2, false);
    PushListener listener = new PushListener(registry, readings, new PushStore(db), metrics);
    assertThat(listener.receiver().handle(captured.get(0), "test")).isNotNull();
    registry.remove("m1");
    assertThat(listener.receiver().handle(captured.get(1), "test")).isNull();
    assertThat(listener.receiver().handle(new byte[] {0, 1, 0, 1, 0, 102, 0, 2, 0x0F, 0}, "test")).isNull();
    assertThat(refused("unknown_meter")).isEqualTo(1);
    assertThat(refused("malformed")).isEqualTo(1);
  }
}
