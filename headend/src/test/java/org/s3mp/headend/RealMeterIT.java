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
import org.s3mp.headend.auth.TokenStore;
import org.s3mp.headend.fleet.MeterInput;
import org.s3mp.headend.polling.DlmsMeterConnector;

/** The head-end against a real meter agent process over TCP: reads, commands with confirmation, profile. */
class RealMeterIT {

  static final String OPERATOR = "operator-token-of-the-real-meter-test-01";

  @TempDir static Path dir;
  static RealMeters.Meter meter;
  static Headend headend;
  static Http http;

  @BeforeAll
  static void start() throws Exception {
    Path keys = RealMeters.keys(dir, "m1");
    meter = RealMeters.start(dir, "m1", keys, 2, 7);
    HeadendConfig config = new HeadendConfig(
        new HeadendConfig.Http("127.0.0.1:0", null),
        new HeadendConfig.Database(dir.resolve("db/headend").toString(), null, null),
        new HeadendConfig.Polling(1, 5000, 3, 1),
        List.of(new HeadendConfig.Token("olga", "operator", TokenStore.sha256(OPERATOR))),
        List.of(new MeterInput("m1", meter.url(), keys.toString(), null, false, 0, true)))
        .withKeysDirectory(dir.toString()).withDefaults();
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
  void readOnceReturnsScaledValuesWithUnits() {
    Http.Response r = http.post("/api/meters/m1/read", OPERATOR, null);
    assertThat(r.status()).as(r.body()).isEqualTo(200);
    JsonNode reading = r.json();
    // the meter starts connected and disconnectIsConfirmedAndPowerDropsToZero reconnects it whatever happens
    assertThat(reading.get("relay").asText()).isEqualTo("connected");
    assertThat(ApiContractTest.valueOf(reading, "1.0.1.7.0.255").doubleValue()).isPositive();
    assertThat(ApiContractTest.valueOf(reading, "1.0.32.7.0.255").doubleValue()).isBetween(200.0, 260.0);
    assertThat(unit(reading, "1.0.32.7.0.255")).isEqualTo("V");
    assertThat(unit(reading, "1.0.1.8.0.255")).isEqualTo("Wh");
    assertThat(ApiContractTest.valueOf(reading, "1.0.14.7.0.255").doubleValue()).isBetween(49.0, 51.0);
    assertThat(http.get("/api/meters/m1", OPERATOR).json().get("connected").asBoolean()).isTrue();
  }

  @Test
  void disconnectIsConfirmedAndPowerDropsToZero() {
    try {
      Http.Response off = http.post("/api/meters/m1/disconnect", OPERATOR, null);
      assertThat(off.status()).as(off.body()).isEqualTo(200);
      assertThat(off.json().get("relay").asText()).isEqualTo("disconnected");
      JsonNode reading = http.post("/api/meters/m1/read", OPERATOR, null).json();
      assertThat(reading.get("relay").asText()).isEqualTo("disconnected");
      assertThat(ApiContractTest.valueOf(reading, "1.0.1.7.0.255")).isZero();

      Http.Response msg = http.post("/api/meters/m1/message", OPERATOR, "{\"text\":\"Strom aus\"}");
      assertThat(msg.status()).as(msg.body()).isEqualTo(200);
      assertThat(msg.json().get("text").asText()).isEqualTo("Strom aus");
    } finally {
      Http.Response on = http.post("/api/meters/m1/reconnect", OPERATOR, null);
      assertThat(on.status()).as(on.body()).isEqualTo(200);
      assertThat(on.json().get("relay").asText()).isEqualTo("connected");
    }
    JsonNode after = http.post("/api/meters/m1/read", OPERATOR, null).json();
    assertThat(ApiContractTest.valueOf(after, "1.0.1.7.0.255").doubleValue()).isPositive();
  }

  @Test
  void loadProfileIsCollected() {
    // capture period 2 s at the meter, collection every 3 s at the head-end
    Conditions.await("3 profile intervals stored", Duration.ofSeconds(30),
        () -> http.get("/api/meters/m1/profile", OPERATOR).json().size() >= 3);
    JsonNode entries = http.get("/api/meters/m1/profile", OPERATOR).json();
    JsonNode first = entries.get(0);
    assertThat(first.get("values")).anySatisfy(v -> assertThat(v.get("obis").asText()).isEqualTo("1.0.1.8.0.255"));
  }

  private static String unit(JsonNode reading, String obis) {
    for (JsonNode v : reading.get("values")) {
      if (v.get("obis").asText().equals(obis)) {
        return v.get("unit").asText();
      }
    }
    throw new AssertionError("no " + obis);
  }
}
