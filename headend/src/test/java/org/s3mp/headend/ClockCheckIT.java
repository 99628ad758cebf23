package org.s3mp.headend;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.s3mp.dlms.MeterEvent;
import org.s3mp.dlms.client.ClientSecurity;
import org.s3mp.dlms.client.EventRecord;
import org.s3mp.dlms.client.MeterClient;
import org.s3mp.dlms.security.KeysFile;
import org.s3mp.headend.auth.TokenStore;
import org.s3mp.headend.fleet.MeterInput;
import org.s3mp.headend.polling.DlmsMeterConnector;

/**
 * Clock checks against a real meter agent process whose clock is two minutes ahead: the head-end finds the
 * drift, sets the clock (audited as the system), and the meter logs the set; operators may set it on demand.
 */
class ClockCheckIT {

  static final String OPERATOR = "operator-token-of-the-clock-check-test-1";
  static final String VIEWER = "viewer-token-of-the-clock-check-test-001";

  @TempDir static Path dir;
  static RealMeters.Meter meter;
  static Headend headend;
  static Http http;

  @BeforeAll
  static void start() throws Exception {
    Path keys = RealMeters.keys(dir, "m1");
    meter = RealMeters.start(dir, "m1", keys, 60, 11, 0, List.of("--clock-offset", "120"));
    HeadendConfig config = new HeadendConfig(
        new HeadendConfig.Http("127.0.0.1:0", null),
        new HeadendConfig.Database(dir.resolve("db/headend").toString(), null, null),
        new HeadendConfig.Polling(1, 5000, 900, 1),
        List.of(new HeadendConfig.Token("olga", "operator", TokenStore.sha256(OPERATOR)),
            new HeadendConfig.Token("vera", "viewer", TokenStore.sha256(VIEWER))),
        // not polled: the first clock check (every 2 s) opens the association
        List.of(new MeterInput("m1", meter.url(), keys.toString(), null, false, 0, false)))
        .withKeysDirectory(dir.toString())
        .withClock(new HeadendConfig.Clock(2, 10.0, true));
    headend = Headend.start(config, new DlmsMeterConnector());
    http = new Http(headend.baseUri());
  }

  @AfterAll
  static void stop() {
    if (headend != null) {
      headend.close();
    }
    if (meter != null) {
      meter.close();
    }
  }

  @Test
  void aMeterTwoMinutesAheadIsSetByTheHeadendAndLogsTheSet() throws Exception {
    Conditions.await("a clock-set audited as the system", Duration.ofSeconds(60),
        () -> systemClockSet() != null);
    JsonNode set = systemClockSet();
    assertThat(set.get("result").asText()).as(set.toString()).isEqualTo("ok");
    double before = Double.parseDouble(set.get("argument").asText().replaceAll("drift ([-+0-9.]+) s", "$1"));
    assertThat(before).as("the drift found: the meter's --clock-offset").isBetween(115.0, 125.0);

    Conditions.await("the drift read back within 10 s", Duration.ofSeconds(30), () -> {
      JsonNode m = http.get("/api/meters/m1", VIEWER).json();
      return !m.get("clockDriftSeconds").isNull() && Math.abs(m.get("clockDriftSeconds").asDouble()) < 10;
    });
    assertThat(http.get("/api/meters/m1", VIEWER).json().get("clockCheckedAt").isNull()).isFalse();
    assertThat(http.get("/metrics", VIEWER).body()).contains("headend_meter_clock_drift_seconds{meter=\"m1\"}");

    Http.Response now = http.get("/api/meters/m1/clock", VIEWER);
    assertThat(now.status()).as(now.body()).isEqualTo(200);
    assertThat(Math.abs(now.json().get("driftSeconds").asDouble())).isLessThan(10);

    // the meter's own event log: old time (21) and new time (22) of the set
    try (MeterClient client = MeterClient.open(meter.url(), ClientSecurity.management(KeysFile.load(meter.keys())))) {
      List<MeterEvent> events = client.readEventLog().stream().map(EventRecord::event).toList();
      assertThat(events).contains(MeterEvent.CLOCK_ADJUSTED_OLD_TIME, MeterEvent.CLOCK_ADJUSTED_NEW_TIME);
      assertThat(MeterEvent.CLOCK_ADJUSTED_OLD_TIME.code()).isEqualTo(21);
      assertThat(MeterEvent.CLOCK_ADJUSTED_NEW_TIME.code()).isEqualTo(22);
    }
  }

  @Test
  void onlyOperatorsSetTheClockOnDemand() {
    Http.Response refused = http.post("/api/meters/m1/clock", VIEWER, null);
    assertThat(refused.status()).as(refused.body()).isEqualTo(403);
    assertThat(refused.json().get("error").asText()).contains("operator");

    Http.Response set = http.post("/api/meters/m1/clock", OPERATOR, null);
    assertThat(set.status()).as(set.body()).isEqualTo(200);
    assertThat(set.json().get("confirmed").asBoolean()).isTrue();
    assertThat(Math.abs(set.json().get("driftSeconds").asDouble())).isLessThan(10);
    long auditId = set.json().get("auditId").asLong();
    assertThat(http.get("/api/audit?limit=50", VIEWER).json()).anySatisfy(e -> {
      assertThat(e.get("id").asLong()).isEqualTo(auditId);
      assertThat(e.get("actor").asText()).isEqualTo("olga");
      assertThat(e.get("action").asText()).isEqualTo("clock-set");
      assertThat(e.get("result").asText()).isEqualTo("ok");
    });
  }

  private static JsonNode systemClockSet() {
    return systemClockSet(http, VIEWER);
  }

  /** The head-end's own clock-set in the audit once it has a result, else null. */
  static JsonNode systemClockSet(Http http, String viewer) {
    for (JsonNode e : http.get("/api/audit?limit=50", viewer).json()) {
      if ("clock-set".equals(e.get("action").asText()) && "system".equals(e.get("actor").asText())
          && !"pending".equals(e.get("result").asText())) {
        return e;
      }
    }
    return null;
  }
}
