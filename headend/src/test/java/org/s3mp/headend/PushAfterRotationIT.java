package org.s3mp.headend;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.s3mp.headend.keys.MasterKey;

/**
 * Pushes around a key rotation, between a real meter agent process and a real head-end process over TCP: the
 * first event the meter pushes under its new keys, right after the rotation, is accepted (no refusal of any kind),
 * and a meter still pushing under the old keys is refused for its keys.
 */
class PushAfterRotationIT {
  static final String TOKEN = "operator-token-of-the-push-rotation-01";
  static final Duration WAIT = Duration.ofSeconds(40);

  @TempDir Path dir;
  @RegisterExtension final Running running = new Running();

  @Test
  void thePushRightAfterARotationIsAcceptedAndTheOldKeysAreRefused() throws Exception {
    Path meterKeys = RealMeters.keys(dir.resolve("meter"), "m1");
    Files.createDirectories(dir.resolve("keys"));
    Files.copy(meterKeys, dir.resolve("keys/m1.keys")); // the head-end's own copy
    Path oldKeys = Files.createDirectories(dir.resolve("old")).resolve("m1.keys");
    Files.copy(meterKeys, oldKeys);
    Path config = new HeadendProcessConfig().polling(null, 3000).pushListener().token("olga", "operator", TOKEN)
        .writeTo(dir);
    ChildProcess headend = HeadendProcessMain.start(dir, config, "headend", Map.of(MasterKey.ENV,
        KeyRotationIT.MASTER));
    running.add(headend);
    String pushUrl = HeadendProcessMain.pushUrl(headend);
    Http http = new Http(HeadendProcessMain.baseUri(headend));

    // the meter pushes its events (no registers) to the head-end
    RealMeters.Meter meter = RealMeters.start(dir.resolve("meter"), "m1", meterKeys, 900, 21, 0,
        List.of("--push", pushUrl));
    running.add(meter);
    Http.Response added = http.post("/api/meters", TOKEN, "{\"id\":\"m1\",\"url\":\"%s\",\"keysFile\":\"m1.keys\","
        .formatted(meter.url()) + "\"pollSeconds\":0,\"profile\":false}");
    assertThat(added.status()).as(added.body()).isEqualTo(201);
    assertThat(http.post("/api/meters/m1/disconnect", TOKEN, null).status()).isEqualTo(200);
    Conditions.await("the DISCONNECT event pushed under the keys file's keys", WAIT,
        () -> events(http).contains("DISCONNECT"));

    Http.Response rotated = http.post("/api/meters/m1/keys/rotate", TOKEN, null);
    assertThat(rotated.status()).as(rotated.body()).isEqualTo(200);
    // right after: the meter pushes under its new keys, with the new keys' invocation counter (from 1 again)
    assertThat(http.post("/api/meters/m1/reconnect", TOKEN, null).status()).isEqualTo(200);
    Conditions.await("the RECONNECT event pushed under the new keys", WAIT,
        () -> events(http).contains("RECONNECT"));
    for (String reason : List.of("wrong_keys", "replayed", "unknown_meter")) {
      assertThat(metric(http, "headend_push_refused_total{reason=\"" + reason + "\""))
          .as("refused as " + reason).isZero();
    }

    // a meter pushing under the old keys (same system title) is refused for them
    RealMeters.Meter stale = RealMeters.start(dir.resolve("old"), "m1", oldKeys, 900, 22, 0,
        List.of("--push", pushUrl, "--push-period", "1"));
    running.add(stale);
    try {
      Conditions.await("a push under the old keys refused", WAIT,
          () -> metric(http, "headend_push_refused_total{reason=\"wrong_keys\"") >= 1);
    } catch (AssertionError e) {
      throw new AssertionError(e.getMessage() + "; refusals: " + http.get("/metrics", TOKEN).body().lines()
          .filter(l -> l.startsWith("headend_push")).toList() + "; the meter's log: "
          + String.join("\n", Files.readAllLines(dir.resolve("old/m1.log"))), e);
    }
    assertThat(events(http)).as("nothing more stored").containsExactlyInAnyOrder("RECONNECT", "DISCONNECT");
  }

  /** A value of /metrics (0 when the series is not there yet; the series are there from the start). */
  private static double metric(Http http, String seriesPrefix) {
    Http.Response metrics = http.get("/metrics", TOKEN);
    assertThat(metrics.status()).as(metrics.body()).isEqualTo(200);
    for (String line : metrics.body().split("\n")) {
      if (line.startsWith(seriesPrefix)) {
        return Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
      }
    }
    return 0;
  }

  private static List<String> events(Http http) {
    List<String> result = new ArrayList<>();
    for (JsonNode e : http.get("/api/meters/m1/events", TOKEN).json()) {
      result.add(e.get("event").asText());
    }
    return result;
  }
}
