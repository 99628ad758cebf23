package org.s3mp.headend;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.DataInputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.s3mp.dlms.security.KeysFile;
import org.s3mp.headend.auth.TokenStore;

/**
 * Real meter agent processes pushing to a real head-end process over TCP: pushed readings stored with source
 * push once the head-end SET the period, the relay event pushed at once, a meter with other keys refused and
 * counted, a captured frame resent refused as a replay.
 */
class PushIT {

  static final String TOKEN = "operator-token-of-the-push-test-0001";
  static final Duration WAIT = Duration.ofSeconds(40);

  @TempDir Path dir;
  @RegisterExtension final Running running = new Running();

  @Test
  void meterPushesAreStoredEventsArriveAndForeignKeysAndReplaysAreRefused() throws Exception {
    Path m1Keys = RealMeters.keys(dir, "m1");
    Path m2Keys = RealMeters.keys(dir, "m2");
    // the second agent has m2's system titles but keys the head-end does not have
    KeysFile known = KeysFile.load(m2Keys);
    Path impostorKeys = Files.createDirectories(dir.resolve("impostor")).resolve("m2.keys");
    Files.writeString(impostorKeys,
        KeysFile.generate(known.clientSystemTitle(), known.serverSystemTitle()).format());

    Path config = dir.resolve("headend.yaml");
    Files.writeString(config, """
        http:
          bind: 127.0.0.1:0
        keysDirectory: .
        database:
          url: db/headend
        polling:
          timeoutMillis: 3000
        push:
          listen: tcp://127.0.0.1:0
        tokens:
          - name: push-test
            role: operator
            sha256: %s
        """.formatted(TokenStore.sha256(TOKEN)));
    ChildProcess headend = HeadendProcessMain.start(dir, config, "headend");
    running.add(headend);
    String pushUrl = HeadendProcessMain.pushUrl(headend);
    Http http = new Http(HeadendProcessMain.baseUri(headend));

    // m1 sends events to the head-end but no registers until the head-end sets a period
    RealMeters.Meter m1 = RealMeters.start(dir, "m1", m1Keys, 900, 3, 0, List.of("--push", pushUrl));
    running.add(m1);
    RealMeters.Meter impostor = RealMeters.start(dir, "m2", impostorKeys, 900, 4, 0,
        List.of("--push", pushUrl, "--push-period", "1"));
    running.add(impostor);
    for (String[] m : new String[][] {{"m1", m1.url()}, {"m2", impostor.url()}}) {
      Http.Response added = http.post("/api/meters", TOKEN, "{\"id\":\"%s\",\"url\":\"%s\",\"keysFile\":\"%s.keys\","
          .formatted(m[0], m[1], m[0]) + "\"pollSeconds\":0,\"profile\":false}");
      assertThat(added.status()).as(added.body()).isEqualTo(201);
    }

    // the impostor's pushes are refused for their keys and counted
    Conditions.await("a refusal for wrong keys in /metrics", WAIT,
        () -> metric(http, "headend_push_refused_total{reason=\"wrong_keys\"") >= 1);
    assertThat(readings(http, "m2")).noneMatch(r -> r.get("source").asText().equals("push"));

    // the push setups as the meter has them, then the head-end sets the period
    JsonNode settings = http.get("/api/meters/m1/push", TOKEN).json();
    assertThat(settings.get("registersDestination").asText()).isEqualTo(pushUrl);
    assertThat(settings.get("eventsDestination").asText()).isEqualTo(pushUrl);
    assertThat(settings.get("periodSeconds").asLong()).isZero();
    assertThat(readings(http, "m1")).isEmpty();
    Http.Response set = http.post("/api/meters/m1/push", TOKEN,
        "{\"destination\":\"%s\",\"periodSeconds\":1}".formatted(pushUrl));
    assertThat(set.status()).as(set.body()).isEqualTo(200);
    Conditions.await("2 pushed readings of m1 stored", WAIT,
        () -> readings(http, "m1").stream().filter(r -> r.get("source").asText().equals("push")).count() >= 2);
    JsonNode pushed = readings(http, "m1").get(0);
    assertThat(pushed.get("kind").asText()).isEqualTo("push");
    assertThat(ApiContractTest.valueOf(pushed, "1.0.32.7.0.255").doubleValue()).isBetween(200.0, 260.0);
    assertThat(ApiContractTest.valueOf(pushed, "1.0.1.8.0.255").doubleValue()).isPositive();
    assertThat(metric(http, "headend_push_received_total{setup=\"registers\"")).isGreaterThanOrEqualTo(2);

    // a relay switched through the API arrives as a pushed event at once
    assertThat(http.post("/api/meters/m1/disconnect", TOKEN, null).status()).isEqualTo(200);
    Conditions.await("the DISCONNECT event pushed", WAIT, () -> events(http, "m1").stream()
        .anyMatch(e -> e.get("event").asText().equals("DISCONNECT") && !e.get("relayConnected").asBoolean()));
    assertThat(http.post("/api/meters/m1/reconnect", TOKEN, null).status()).isEqualTo(200);
    Conditions.await("the RECONNECT event pushed", WAIT, () -> events(http, "m1").stream()
        .anyMatch(e -> e.get("event").asText().equals("RECONNECT") && e.get("relayConnected").asBoolean()));

    // capture one genuine frame of m1 elsewhere, then hand it to the head-end twice: the second is a replay
    byte[] frame;
    try (ServerSocket recorder = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      recorder.setSoTimeout((int) WAIT.toMillis());
      String recorderUrl = "tcp://127.0.0.1:" + recorder.getLocalPort();
      assertThat(http.post("/api/meters/m1/push", TOKEN,
          "{\"destination\":\"%s\",\"periodSeconds\":1}".formatted(recorderUrl)).status()).isEqualTo(200);
      try (Socket meter = recorder.accept()) {
        frame = wrapperPdu(new DataInputStream(meter.getInputStream()));
      }
    }
    assertThat(http.post("/api/meters/m1/push", TOKEN, "{\"destination\":\"\",\"periodSeconds\":0}").status())
        .isEqualTo(200);
    double replayedBefore = metric(http, "headend_push_refused_total{reason=\"replayed\"");
    double acceptedBefore = metric(http, "headend_push_received_total{setup=\"registers\"");
    MeterUrlParts listener = MeterUrlParts.of(pushUrl);
    try (Socket s = new Socket(listener.host(), listener.port())) {
      OutputStream out = s.getOutputStream();
      out.write(frame);
      out.write(frame);
      out.flush();
      Conditions.await("the resent frame refused as a replay", WAIT,
          () -> metric(http, "headend_push_refused_total{reason=\"replayed\"") >= replayedBefore + 1);
    }
    assertThat(metric(http, "headend_push_received_total{setup=\"registers\"")).isEqualTo(acceptedBefore + 1);
    // the refusals are an open alarm of their source (one per host, counting every refused notification)
    Conditions.await("a push_refused alarm of tcp:127.0.0.1", WAIT, () -> {
      List<JsonNode> alarms = new ArrayList<>();
      http.get("/api/alarms?state=open", TOKEN).json().forEach(alarms::add);
      return alarms.stream().anyMatch(a -> a.get("kind").asText().equals("push_refused")
          && a.get("subject").asText().equals("push from tcp:127.0.0.1") && a.get("occurrences").asLong() >= 2);
    });
    assertThat(metric(http, "headend_alarms_open{kind=\"push_refused\"")).isGreaterThanOrEqualTo(1);
  }

  private record MeterUrlParts(String host, int port) {
    static MeterUrlParts of(String url) {
      String hp = url.substring("tcp://".length());
      return new MeterUrlParts(hp.substring(0, hp.lastIndexOf(':')), Integer.parseInt(hp.substring(hp.lastIndexOf(':') + 1)));
    }
  }

  /** One IEC 62056-47 wrapper PDU: version, source and destination wPort, length, then the APDU. */
  private static byte[] wrapperPdu(DataInputStream in) throws java.io.IOException {
    byte[] header = new byte[8];
    in.readFully(header);
    int length = ((header[6] & 0xFF) << 8) | (header[7] & 0xFF);
    byte[] pdu = java.util.Arrays.copyOf(header, 8 + length);
    in.readFully(pdu, 8, length);
    return pdu;
  }

  private static List<JsonNode> readings(Http http, String meter) {
    List<JsonNode> result = new ArrayList<>();
    http.get("/api/meters/" + meter + "/readings", TOKEN).json().forEach(result::add);
    return result;
  }

  private static List<JsonNode> events(Http http, String meter) {
    List<JsonNode> result = new ArrayList<>();
    http.get("/api/meters/" + meter + "/events", TOKEN).json().forEach(result::add);
    return result;
  }

  /** A value of /metrics (0 when the series is not there yet). */
  static double metric(Http http, String seriesPrefix) {
    for (String line : http.get("/metrics", TOKEN).body().split("\n")) {
      if (line.startsWith(seriesPrefix)) {
        return Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
      }
    }
    return 0;
  }
}
