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
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.s3mp.dlms.MeterEvent;
import org.s3mp.dlms.MeterObjects;
import org.s3mp.dlms.client.ClientSecurity;
import org.s3mp.dlms.client.MeterClient;
import org.s3mp.dlms.push.Notification;
import org.s3mp.dlms.push.PushReceiver;
import org.s3mp.dlms.security.KeysFile;
import org.s3mp.dlms.transport.LinkOptions;
import org.s3mp.dlms.transport.MeterUrl;
import org.s3mp.dlms.transport.ServerEndpoint;
import org.s3mp.meter.drivers.LoggingDisplay;
import org.s3mp.meter.drivers.LoggingRelay;
import org.s3mp.testbed.Testbed;

/**
 * Pushes natively over SCION on the real testbed: the meter in the concentrator AS pushes (with its path
 * policy) to a push receiver listening on a SCION socket in the head-end AS, as the head-end's listener does.
 */
class ScionPushIT {
  static final Duration WAIT = Duration.ofSeconds(30);
  @TempDir Path dir;
  final KeysFile keys = TestKeys.random();
  final List<Notification> received = new CopyOnWriteArrayList<>();
  final List<String> senders = new CopyOnWriteArrayList<>();
  ServerEndpoint listener;
  MeterAgent agent;

  @AfterEach
  void stop() {
    if (agent != null) {
      agent.close();
    }
    if (listener != null) {
      listener.close();
    }
  }

  @Test
  void registersAndEventsArriveOverScion() throws Exception {
    Testbed tb = Testbed.shared();
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
            senders.add("refused " + reason + " " + from);
          }
        });
    String headEndIp = tb.hostAddress(tb.headEnd()).getHostAddress();
    listener = receiver.listen(MeterUrl.parse("scion://" + tb.headEnd() + ",[" + headEndIp + "]:0"),
        LinkOptions.of(Duration.ofSeconds(5)).with(LinkOptions.SCION_DAEMON, daemon(tb, tb.headEnd())));
    String destination = listener.localUrl().toString();
    agent = MeterAgent.start(new AgentConfig(dir, List.of(MeterUrl.parse("tcp://127.0.0.1:0")), keys,
        Sources.simulated(9), 900, new LoggingRelay(), new LoggingDisplay(), "IT-SCION-PUSH",
        LinkOptions.of(Duration.ofSeconds(3)).with(LinkOptions.SCION_DAEMON, daemon(tb, tb.concentrator()))
            .with(LinkOptions.PATH_POLICY, "{\"name\": \"isd1-only\", \"allowed_isds\": [1]}"))
        .withPush(AgentConfig.Push.parse(destination, 1L, null)));

    await().atMost(WAIT).until(() -> received.stream().anyMatch(n -> n.pushSetup().equals(MeterObjects.PUSH_REGISTERS)));
    try (MeterClient c = MeterClient.open(agent.endpoints().get(0), ClientSecurity.management(keys),
        Duration.ofSeconds(5))) {
      c.disconnect();
    }
    await().atMost(WAIT).until(() -> received.stream().anyMatch(n -> n.event() == MeterEvent.DISCONNECT));
    assertThat(senders).isEmpty();
    assertThat(agent.pushesFailed()).isZero();
  }

  static String daemon(Testbed tb, String ia) {
    java.net.InetSocketAddress a = tb.daemonAddress(ia);
    return a.getAddress().getHostAddress() + ":" + a.getPort();
  }
}
