package org.s3mp.headend;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.s3mp.headend.auth.Role;
import org.s3mp.headend.auth.TokenStore;
import org.s3mp.headend.fleet.MeterInput;
import org.s3mp.headend.polling.DlmsMeterConnector;
import org.s3mp.headend.storage.Database;
import org.s3mp.headend.storage.LocalPostgres;

/** The head-end on PostgreSQL instead of H2: same schema and behaviour, tokens managed while it runs. */
class PostgresIT {

  @TempDir Path dir;
  LocalPostgres pg;
  RealMeters.Meter meter;
  Headend headend;

  @AfterEach
  void stop() throws Exception {
    if (headend != null) {
      headend.close();
    }
    if (meter != null) {
      meter.close();
    }
    if (pg != null) {
      pg.close();
    }
  }

  @Test
  void readingsProfileAuditAndTokensOnPostgres() throws Exception {
    pg = LocalPostgres.start();
    Path keys = RealMeters.keys(dir, "m1");
    meter = RealMeters.start(dir, "m1", keys, 2, 5);
    HeadendConfig config = new HeadendConfig(
        new HeadendConfig.Http("127.0.0.1:0", null),
        new HeadendConfig.Database(pg.url(), null, null),
        new HeadendConfig.Polling(1, 5000, 2, 1),
        List.of(),
        List.of(new MeterInput("m1", meter.url(), keys.toString(), null, false, 0, true)))
        .withKeysDirectory(dir.toString()).withDefaults();
    headend = Headend.start(config, new DlmsMeterConnector());
    Http http = new Http(headend.baseUri());

    // a second process (here: a second connection pool) manages tokens while the head-end runs
    String operator;
    String operatorId;
    try (Database admin = Database.open(pg.url(), null, null)) {
      TokenStore.Created created = new TokenStore(admin, Map.of()).create("pg-operator", Role.OPERATOR);
      operator = created.secret();
      operatorId = created.token().id();
    }
    assertThat(http.get("/api/me", operator).json().get("name").asText()).isEqualTo("pg-operator");

    JsonNode reading = http.post("/api/meters/m1/read", operator, null).json();
    assertThat(reading.get("values").size()).isGreaterThanOrEqualTo(10);
    assertThat(http.post("/api/meters/m1/disconnect", operator, null).json().get("relay").asText())
        .isEqualTo("disconnected");
    assertThat(http.post("/api/meters/m1/reconnect", operator, null).json().get("relay").asText())
        .isEqualTo("connected");
    assertThat(http.get("/api/audit", operator).json().get(0).get("action").asText()).isEqualTo("reconnect");
    JsonNode stored = http.get("/api/meters/m1/readings", operator).json();
    assertThat(stored.size()).isGreaterThanOrEqualTo(3);
    assertThat(stored.get(0).get("readAt").asText()).isEqualTo(reading.get("readAt").asText());

    Conditions.await("3 profile intervals collected", Duration.ofSeconds(30),
        () -> http.get("/api/meters/m1/profile", operator).json().size() >= 3);
    List<String> times = new java.util.ArrayList<>();
    http.get("/api/meters/m1/profile", operator).json().forEach(e -> times.add(e.get("capturedAt").asText()));
    assertThat(new HashSet<>(times)).hasSize(times.size());

    // alarms on PostgreSQL: a meter whose port refuses connections raises them, an operator acknowledges one
    assertThat(http.post("/api/meters", operator, String.format("{\"id\": \"dead\", \"url\": \"tcp://127.0.0.1:1\","
        + " \"keysFile\": \"%s\", \"pollSeconds\": 1}", keys.toString().replace("\\", "\\\\"))).status())
        .isEqualTo(201);
    long[] alarm = {-1};
    Conditions.await("an association_failures alarm of the dead meter", Duration.ofSeconds(30), () -> {
      for (JsonNode a : http.get("/api/alarms?state=open", operator).json()) {
        if (a.get("kind").asText().equals("association_failures") && a.get("subject").asText().equals("dead")) {
          alarm[0] = a.get("id").asLong();
        }
      }
      return alarm[0] >= 0;
    });
    JsonNode acked = http.post("/api/alarms/" + alarm[0] + "/ack", operator, null).json();
    assertThat(acked.get("acknowledgedBy").asText()).isEqualTo("pg-operator");
    assertThat(http.get("/api/alarms?state=acknowledged", operator).json().get(0).get("id").asLong())
        .isEqualTo(alarm[0]);

    try (Database admin = Database.open(pg.url(), null, null)) {
      assertThat(new TokenStore(admin, Map.of()).revoke(operatorId)).isTrue();
    }
    assertThat(http.get("/api/me", operator).status()).isEqualTo(401);
  }
}
