package org.s3mp.meter;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
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
import org.s3mp.dlms.push.Notification;
import org.s3mp.dlms.push.PushReceiver;
import org.s3mp.dlms.security.KeysFile;
import org.s3mp.dlms.server.PushSettings;
import org.s3mp.dlms.transport.LinkOptions;
import org.s3mp.dlms.transport.MeterUrl;
import org.s3mp.dlms.transport.ServerEndpoint;
import org.s3mp.meter.drivers.LoggingDisplay;
import org.s3mp.meter.drivers.LoggingRelay;

/** The agent's pushes to a real push receiver over loopback TCP: options, persisted settings, events, outage. */
class MeterPushTest {
  static final Duration WAIT = Duration.ofSeconds(15);
  @TempDir Path dir;
  KeysFile keys = TestKeys.random();
  final List<Notification> received = new CopyOnWriteArrayList<>();
  ServerEndpoint listener;
  String listenerUrl;
  MeterAgent agent;

  @BeforeEach
  void listen() throws Exception {
    PushReceiver receiver = new PushReceiver(
        title -> Arrays.equals(title, keys.serverSystemTitle())
            ? Optional.of(new PushReceiver.Sender("m1", keys)) : Optional.empty(),
        PushReceiver.Counters.inMemory(),
        new PushReceiver.Listener() {
          @Override
          public void accepted(PushReceiver.Sender sender, Notification n) {
            received.add(n);
          }

          @Override
          public void refused(PushReceiver.Refusal reason, String from, String detail) {
            throw new AssertionError("refused " + reason + ": " + detail);
          }
        });
    listener = receiver.listen(MeterUrl.parse("tcp://127.0.0.1:0"), LinkOptions.of(Duration.ofSeconds(5)));
    listenerUrl = listener.localUrl().toString();
  }

  @AfterEach
  void stop() {
    if (agent != null) {
      agent.close();
    }
    listener.close();
  }

  MeterAgent start(AgentConfig.Push push) throws Exception {
    return MeterAgent.start(new AgentConfig(dir, List.of(MeterUrl.parse("tcp://127.0.0.1:0")), keys,
        Sources.simulated(42), 900, new LoggingRelay(), new LoggingDisplay(), "TEST-1").withPush(push));
  }

  List<Notification> events() {
    return received.stream().filter(n -> n.event() != null).toList();
  }

  @Test
  void pushesTheRegistersEveryPeriodAndEventsAtOnce() throws Exception {
    agent = start(AgentConfig.Push.parse(listenerUrl, 1L, null));
    await().atMost(WAIT).until(() -> received.stream().filter(n -> !n.values().isEmpty()).count() >= 2);
    try (MeterClient c = MeterClient.open(agent.endpoints().get(0), ClientSecurity.management(keys),
        Duration.ofSeconds(5))) {
      c.disconnect();
      c.setMessage("Hallo");
    }
    await().atMost(WAIT).until(() -> events().size() >= 2);
    assertThat(events()).extracting(Notification::event).containsExactly(MeterEvent.DISCONNECT,
        MeterEvent.MESSAGE_SHOWN);
    assertThat(events().get(0).relayConnected()).isFalse();
    assertThat(agent.pushesFailed()).isZero();
  }

  @Test
  void settingsSetByAClientSurviveARestartAndTheCommandLineReplacesThem() throws Exception {
    agent = start(null);
    try (MeterClient c = MeterClient.open(agent.endpoints().get(0), ClientSecurity.management(keys),
        Duration.ofSeconds(5))) {
      assertThat(c.readPushSettings()).isEqualTo(PushSettings.NONE);
      c.setPushDestination(MeterObjects.PUSH_REGISTERS, listenerUrl);
      c.setPushDestination(MeterObjects.PUSH_EVENTS, listenerUrl);
      c.setPushPeriod(1);
    }
    await().atMost(WAIT).until(() -> !received.isEmpty());
    agent.close();
    agent = start(null);
    try (MeterClient c = MeterClient.open(agent.endpoints().get(0), ClientSecurity.management(keys),
        Duration.ofSeconds(5))) {
      assertThat(c.readPushSettings()).isEqualTo(new PushSettings(listenerUrl, 1, listenerUrl));
    }
    int before = received.size();
    await().atMost(WAIT).until(() -> received.size() > before);
    agent.close();
    // only the period given: the stored destinations stay
    agent = start(AgentConfig.Push.parse(null, 0L, null));
    try (MeterClient c = MeterClient.open(agent.endpoints().get(0), ClientSecurity.management(keys),
        Duration.ofSeconds(5))) {
      assertThat(c.readPushSettings()).isEqualTo(new PushSettings(listenerUrl, 0, listenerUrl));
    }
  }

  @Test
  void aSimulatedOutageSendsTheLastGaspAndThePowerRestored() throws Exception {
    agent = start(AgentConfig.Push.parse(listenerUrl, 1L, "1.5:2"));
    await().atMost(WAIT).until(() -> events().size() >= 2);
    assertThat(events()).extracting(Notification::event).containsExactly(MeterEvent.POWER_FAILURE,
        MeterEvent.POWER_RESTORED);
    // dark in between: no register push between the two events, none failed, and they resume after
    int failure = received.indexOf(events().get(0));
    int restored = received.indexOf(events().get(1));
    assertThat(restored).isEqualTo(failure + 1);
    await().atMost(WAIT).until(() -> received.size() > restored + 1);
    assertThat(received.get(restored + 1).values()).isNotEmpty();
    assertThat(agent.pushesFailed()).isZero();
    // back on the same address after the outage
    try (MeterClient c = MeterClient.open(agent.endpoints().get(0), ClientSecurity.management(keys),
        Duration.ofSeconds(5))) {
      assertThat(c.readEventLog()).extracting(org.s3mp.dlms.client.EventRecord::event)
          .contains(MeterEvent.POWER_FAILURE, MeterEvent.POWER_RESTORED);
    }
  }

  @Test
  void aPushListenerThatIsDownNeitherBlocksNorCrashesTheMeter() throws Exception {
    int port = listener.localUrl().hostPort().port();
    listener.close();
    agent = start(AgentConfig.Push.parse("tcp://127.0.0.1:" + port, 1L, null));
    await().atMost(WAIT).until(() -> agent.pushesFailed() >= 2);
    try (MeterClient c = MeterClient.open(agent.endpoints().get(0), ClientSecurity.management(keys),
        Duration.ofSeconds(5))) {
      c.disconnect(); // an event push that fails as well
      assertThat(c.readRegisters()).isNotEmpty();
    }
    assertThat(agent.pushesSent()).isZero();
  }
}
