package org.s3mp.dlms.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.s3mp.dlms.MeterEvent;
import org.s3mp.dlms.MeterObjects;
import org.s3mp.dlms.client.ClientSecurity;
import org.s3mp.dlms.client.MeterClient;
import org.s3mp.dlms.client.MeterException;
import org.s3mp.dlms.client.RegisterReading;
import org.s3mp.dlms.push.Notification;
import org.s3mp.dlms.push.PushReceiver;
import org.s3mp.dlms.push.PushReceiver.Refusal;
import org.s3mp.dlms.security.KeysFile;
import org.s3mp.dlms.transport.LinkOptions;
import org.s3mp.dlms.transport.MeterUrl;
import org.s3mp.dlms.transport.ServerEndpoint;
import org.s3mp.dlms.transport.Transports;

/** The meter's pushes through the real Gurux encoder, TCP and the push receiver, and SET on the push setups. */
class PushNotifierTest {
  static final Duration WAIT = Duration.ofSeconds(10);
  @TempDir Path dir;
  KeysFile keys = KeysFile.generate(new byte[] {'S', '3', 'M', 'P', 0, 0, 0, 1}, new byte[] {'S', '3', 'M', 'P', 0, 0, 1, 1});
  PushingBackend backend = new PushingBackend();
  CosemServer server;
  PushNotifier notifier;
  ServerEndpoint listener;
  ServerEndpoint meter;
  final List<Notification> received = new CopyOnWriteArrayList<>();
  final List<Refusal> refused = new CopyOnWriteArrayList<>();
  volatile KeysFile listenerKeys = keys;
  PushReceiver receiver;

  /** A backend that keeps push settings like the agent does. */
  static final class PushingBackend extends InMemoryBackend {
    volatile PushSettings push = PushSettings.NONE;
    volatile Runnable changed = () -> {};

    @Override
    public PushSettings pushSettings() {
      return push;
    }

    @Override
    public void setPushSettings(PushSettings settings) {
      push = settings;
      changed.run();
    }
  }

  @BeforeEach
  void start() throws Exception {
    server = new CosemServer(backend, keys, new FileCounterStore(dir.resolve("counters")));
    receiver = new PushReceiver(
        title -> java.util.Arrays.equals(title, keys.serverSystemTitle())
            ? Optional.of(new PushReceiver.Sender("m1", listenerKeys)) : Optional.empty(),
        PushReceiver.Counters.inMemory(),
        new PushReceiver.Listener() {
          @Override
          public void accepted(PushReceiver.Sender sender, Notification n) {
            received.add(n);
          }

          @Override
          public void refused(Refusal reason, String from, String detail) {
            refused.add(reason);
          }
        });
    listener = receiver.listen(MeterUrl.parse("tcp://127.0.0.1:0"), LinkOptions.of(Duration.ofSeconds(5)));
    notifier = new PushNotifier(server, backend, keys, LinkOptions.of(Duration.ofSeconds(5)));
    backend.changed = notifier::settingsChanged;
    meter = Transports.forUrl(MeterUrl.parse("tcp://127.0.0.1:0")).listen(MeterUrl.parse("tcp://127.0.0.1:0"), server);
  }

  @AfterEach
  void stop() {
    notifier.close();
    listener.close();
    meter.close();
  }

  @Test
  void pushesTheRegistersEveryPeriodWithRisingCounters() {
    backend.setPushSettings(new PushSettings(listener.localUrl().toString(), 1, ""));
    await().atMost(WAIT).until(() -> received.size() >= 2);
    Notification n = received.get(0);
    assertThat(n.pushSetup()).isEqualTo(MeterObjects.PUSH_REGISTERS);
    assertThat(n.values()).extracting(RegisterReading::line).contains("1.0.32.7.0.255 231.4 V",
        "1.0.3.7.0.255 -12.5 var", "1.0.1.8.0.255 123456 Wh", "1.0.13.7.0.255 0.985");
    assertThat(received.get(1).invocationCounter()).isGreaterThan(n.invocationCounter());
    assertThat(refused).isEmpty();
  }

  @Test
  void pushesEventsAtOnce() {
    backend.setPushSettings(new PushSettings("", 0, listener.localUrl().toString()));
    backend.connected = false;
    notifier.event(MeterEvent.DISCONNECT);
    await().atMost(WAIT).until(() -> received.size() == 1);
    assertThat(received.get(0).event()).isEqualTo(MeterEvent.DISCONNECT);
    assertThat(received.get(0).relayConnected()).isFalse();
  }

  @Test
  void aPushOverALostConnectionIsSentOnANewOne() {
    backend.setPushSettings(new PushSettings("", 0, listener.localUrl().toString()));
    notifier.event(MeterEvent.MESSAGE_SHOWN);
    await().atMost(WAIT).until(() -> received.size() == 1);
    // the listener restarts on the same port: the meter's connection is gone
    int port = listener.localUrl().hostPort().port();
    listener.close();
    // the port can be taken for a moment (on a busy machine another socket may get it as its ephemeral port):
    // listen again as soon as it is free
    await().atMost(WAIT).until(() -> {
      try {
        listener = receiver.listen(MeterUrl.parse("tcp://127.0.0.1:" + port), LinkOptions.of(Duration.ofSeconds(5)));
        return true;
      } catch (java.io.IOException stillTaken) {
        return false;
      }
    });
    notifier.event(MeterEvent.POWER_FAILURE);
    assertThat(notifier.flush(WAIT)).isTrue();
    await().atMost(WAIT).until(() -> received.size() == 2);
    assertThat(received.get(1).event()).isEqualTo(MeterEvent.POWER_FAILURE);
  }

  @Test
  void refusesWrongKeysUnknownMetersAndReplays() throws Exception {
    KeysFile other = KeysFile.generate(keys.clientSystemTitle(), keys.serverSystemTitle());
    byte[] frame = eventFrame();
    assertThat(receiver.handle(frame, "test")).isNotNull();
    assertThat(receiver.handle(frame, "test")).isNull();
    assertThat(refused).containsExactly(Refusal.REPLAYED);

    byte[] next = eventFrame();
    listenerKeys = other;
    assertThat(receiver.handle(next, "test")).isNull();
    byte[] unknown = next.clone();
    unknown[10] ^= 1; // a byte of the system title
    assertThat(receiver.handle(unknown, "test")).isNull();
    assertThat(receiver.handle(new byte[] {0, 1, 0, 1, 0, 102, 0, 1, 0x0F}, "test")).isNull();
    assertThat(refused).containsExactly(Refusal.REPLAYED, Refusal.WRONG_KEYS, Refusal.UNKNOWN_METER,
        Refusal.MALFORMED);
    // the genuine frame is still accepted once the right keys are back (a refusal moves no counter)
    listenerKeys = keys;
    assertThat(receiver.handle(next, "test")).isNotNull();
    assertThat(receiver.accepted()).isEqualTo(2);
  }

  /** One events push as the meter encodes it. */
  byte[] eventFrame() throws Exception {
    gurux.dlms.objects.GXDLMSClock clock = org.s3mp.dlms.cosem.CosemObjects.clock();
    gurux.dlms.objects.GXDLMSData code = org.s3mp.dlms.cosem.CosemObjects.eventCode();
    gurux.dlms.objects.GXDLMSPushSetup push = org.s3mp.dlms.cosem.PushObjects.eventsPush(clock, code,
        new gurux.dlms.objects.GXDLMSDisconnectControl(MeterObjects.DISCONNECT_CONTROL.toString()));
    return server.notification(keys, push, () -> {
      clock.setTime(new gurux.dlms.GXDateTime(new java.util.Date()));
      code.setValue(MeterEvent.RECONNECT.code());
    })[0];
  }

  @Test
  void theManagementClientSetsDestinationsAndPeriod() throws Exception {
    String url = listener.localUrl().toString();
    try (MeterClient c = MeterClient.open(meter.localUrl(), ClientSecurity.management(keys), Duration.ofSeconds(5))) {
      c.setPushDestination(MeterObjects.PUSH_REGISTERS, url);
      c.setPushDestination(MeterObjects.PUSH_EVENTS, url);
      c.setPushPeriod(1);
      assertThat(c.readPushSettings()).isEqualTo(new PushSettings(url, 1, url));
      assertThat(backend.push).isEqualTo(new PushSettings(url, 1, url));
      await().atMost(WAIT).until(() -> !received.isEmpty());
      c.setPushPeriod(0);
      assertThat(backend.push.periodSeconds()).isZero();
    }
    try (MeterClient c = MeterClient.open(meter.localUrl(), ClientSecurity.publicClient(), Duration.ofSeconds(5))) {
      assertThatThrownBy(() -> c.setPushPeriod(5)).isInstanceOf(MeterException.class);
    }
    assertThat(backend.push.periodSeconds()).isZero();
  }

  @Test
  void aBadDestinationIsRefusedByTheMeter() throws Exception {
    try (MeterClient c = MeterClient.open(meter.localUrl(), ClientSecurity.management(keys), Duration.ofSeconds(5))) {
      assertThatThrownBy(() -> c.setPushDestination(MeterObjects.PUSH_EVENTS, "tcp://nohost")).isInstanceOf(
          IllegalArgumentException.class);
      assertThatThrownBy(() -> c.setPushPeriod(PushSettings.MAX_PERIOD + 1))
          .isInstanceOf(IllegalArgumentException.class);
    }
    assertThat(backend.push).isEqualTo(PushSettings.NONE);
  }
}
