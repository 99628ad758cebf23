package org.s3mp.headend;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.s3mp.headend.auth.Role;
import org.s3mp.headend.auth.TokenStore;
import org.s3mp.headend.fleet.MeterInput;
import org.s3mp.headend.storage.Database;

/** Every endpoint of the API, its auth failures and bad input, against fake meters. */
class ApiContractTest {

  static final String VIEWER = "viewer-secret-for-the-contract-test-000";
  static final String OPERATOR = "operator-secret-for-the-contract-test-0";

  @RegisterExtension static final ApiTestHeadend api = new ApiTestHeadend();
  @TempDir static Path dir;
  static FakeMeters meters = api.meters;
  static Headend headend;
  static Http http;
  static String dbToken;
  static String revokedToken;

  @BeforeAll
  static void start() throws Exception {
    String db = ApiTestHeadend.database(dir);
    try (Database d = Database.open(db, null, null)) {
      TokenStore tokens = new TokenStore(d, Map.of());
      dbToken = tokens.create("cli-viewer", Role.VIEWER).secret();
      TokenStore.Created revoked = tokens.create("gone", Role.OPERATOR);
      revokedToken = revoked.secret();
      assertThat(tokens.revoke(revoked.token().id())).isTrue();
    }
    // real keys files in the keys directory (the head-end checks them; the fake connector does not use them)
    Files.writeString(dir.resolve("m1.keys"), org.s3mp.dlms.security.KeysFile.generate(new byte[] {1, 2, 3, 4, 5, 6, 7, 8}, new byte[] {8, 7, 6, 5, 4, 3, 2, 1}).format());
    Files.writeString(dir.resolve("k"), org.s3mp.dlms.security.KeysFile.generate(new byte[] {1, 2, 3, 4, 5, 6, 7, 8}, new byte[] {8, 7, 6, 5, 4, 3, 2, 1}).format());
    HeadendConfig config = ApiTestHeadend.config(dir, ApiTestHeadend.anyPort(),
        List.of(ApiTestHeadend.token("alice", Role.VIEWER, VIEWER), ApiTestHeadend.token("olga", Role.OPERATOR, OPERATOR)),
        List.of(new MeterInput("m1", "tcp://127.0.0.1:4059", dir.resolve("m1.keys").toString(), null, null, 0, false)),
        dir, null);
    headend = api.start(config);
    http = api.http();
  }

  @Test
  void healthNeedsNoToken() {
    Http.Response r = http.get("/health", null);
    assertThat(r.status()).isEqualTo(200);
    assertThat(r.json().get("status").asText()).isEqualTo("ok");
  }

  @Test
  void everyDocumentedEndpointExistsAndNeedsAToken() {
    JsonNode doc = http.get("/api/openapi.json", VIEWER).json();
    List<String> checked = new ArrayList<>();
    for (Iterator<Map.Entry<String, JsonNode>> paths = doc.get("paths").fields(); paths.hasNext(); ) {
      Map.Entry<String, JsonNode> path = paths.next();
      for (String method : List.of("get", "post", "delete")) {
        if (!path.getValue().has(method)) {
          continue;
        }
        String p = path.getKey().replace("{id}", "m1");
        Http.Response r = http.send(method.toUpperCase(), p, null, method.equals("get") ? null : "{}");
        if (p.equals("/health")) {
          assertThat(r.status()).isEqualTo(200);
        } else {
          // 401 (not 404) proves the route exists and is protected
          assertThat(r.status()).as(method + " " + p).isEqualTo(401);
          assertThat(r.json().get("error").asText()).contains("bearer token");
        }
        checked.add(method + " " + p);
      }
    }
    assertThat(checked).hasSizeGreaterThanOrEqualTo(17);
  }

  /** openapi.json and the routes cannot drift apart: each method of each path is served, each route documented. */
  @Test
  void openApiDescribesExactlyTheRoutesServed() {
    JsonNode doc = http.get("/api/openapi.json", VIEWER).json();
    java.util.Set<String> documented = new java.util.TreeSet<>();
    doc.get("paths").fields().forEachRemaining(path -> path.getValue().fieldNames().forEachRemaining(method -> {
      if (List.of("get", "put", "post", "delete", "patch", "head", "options", "trace").contains(method)) {
        documented.add(method.toUpperCase() + " " + path.getKey());
      }
    }));
    java.util.Set<String> served = new java.util.TreeSet<>(headend.routes());
    assertThat(served).contains("GET /api/meters/{id}", "POST /api/meters", "GET /api/meters/{id}/live");
    assertThat(served).as("routes missing from openapi.json").isSubsetOf(documented);
    assertThat(documented).as("documented paths without a route").isSubsetOf(served);
  }

  @Test
  void everyDocumentedBodyRefusesOtherContentTypesAsDocumented() throws Exception {
    JsonNode doc = http.get("/api/openapi.json", VIEWER).json();
    List<String> checked = new ArrayList<>();
    for (Iterator<Map.Entry<String, JsonNode>> paths = doc.get("paths").fields(); paths.hasNext(); ) {
      Map.Entry<String, JsonNode> path = paths.next();
      for (Iterator<Map.Entry<String, JsonNode>> ops = path.getValue().fields(); ops.hasNext(); ) {
        Map.Entry<String, JsonNode> op = ops.next();
        if (!op.getValue().has("requestBody")) {
          continue;
        }
        String what = op.getKey() + " " + path.getKey();
        assertThat(op.getValue().get("responses").has("415")).as(what + " documents 415").isTrue();
        java.net.http.HttpRequest request = java.net.http.HttpRequest.newBuilder(
                http.base().resolve(path.getKey().replace("{id}", "m1")))
            .header("Authorization", "Bearer " + OPERATOR).header("Content-Type", "text/plain")
            .method(op.getKey().toUpperCase(), java.net.http.HttpRequest.BodyPublishers.ofString("{}")).build();
        java.net.http.HttpResponse<String> r = http.client().send(request,
            java.net.http.HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(what).isEqualTo(415);
        assertThat(Http.JSON.readTree(r.body()).get("error").asText()).contains("application/json");
        checked.add(what);
      }
    }
    assertThat(checked).hasSizeGreaterThanOrEqualTo(3);
    assertThat(doc.at("/paths/~1api~1meters~1{id}~1live/get/responses").has("429"))
        .as("the live stream documents its per-token cap").isTrue();
  }

  @Test
  void responsesMatchTheDocumentedSchemas() {
    OpenApiSchema schema = new OpenApiSchema(http.get("/api/openapi.json", VIEWER).json());
    http.post("/api/meters/m1/read", OPERATOR, null);
    String[][] calls = {
        // method, documented path, concrete path, token, body
        {"GET", "/health", "/health", null, null},
        {"GET", "/api/me", "/api/me", VIEWER, null},
        {"GET", "/api/meters", "/api/meters", VIEWER, null},
        {"GET", "/api/meters/{id}", "/api/meters/m1", VIEWER, null},
        {"POST", "/api/meters/{id}/read", "/api/meters/m1/read", VIEWER, null},
        {"GET", "/api/meters/{id}/readings", "/api/meters/m1/readings?limit=5", VIEWER, null},
        {"GET", "/api/meters/{id}/profile", "/api/meters/m1/profile", VIEWER, null},
        {"POST", "/api/meters/{id}/message", "/api/meters/m1/message", OPERATOR, "{\"text\":\"Schema\"}"},
        {"POST", "/api/meters/{id}/reconnect", "/api/meters/m1/reconnect", OPERATOR, null},
        {"GET", "/api/meters/{id}/clock", "/api/meters/m1/clock", VIEWER, null},
        {"POST", "/api/meters/{id}/clock", "/api/meters/m1/clock", OPERATOR, null},
        {"POST", "/api/meters/{id}/clock", "/api/meters/m1/clock", VIEWER, null},
        {"GET", "/api/audit", "/api/audit?limit=5", VIEWER, null},
        {"POST", "/api/meters/{id}/push", "/api/meters/m1/push", OPERATOR,
            "{\"destination\":\"tcp://127.0.0.1:4069\",\"periodSeconds\":60}"},
        {"GET", "/api/meters/{id}/push", "/api/meters/m1/push", VIEWER, null},
        {"POST", "/api/meters/{id}/push", "/api/meters/m1/push", OPERATOR,
            "{\"destination\":\"tcp://nohost\",\"periodSeconds\":60}"},
        {"POST", "/api/meters/{id}/push", "/api/meters/m1/push", VIEWER, "{\"destination\":\"\",\"periodSeconds\":0}"},
        {"GET", "/api/meters/{id}/events", "/api/meters/m1/events", VIEWER, null},
        {"GET", "/api/alarms", "/api/alarms?state=open", VIEWER, null},
        {"GET", "/api/alarms", "/api/alarms?state=gone", VIEWER, null},
        {"POST", "/api/alarms/{id}/ack", "/api/alarms/987654/ack", OPERATOR, null},
        {"POST", "/api/alarms/{id}/ack", "/api/alarms/1/ack", VIEWER, null},
        {"GET", "/api/meters/{id}", "/api/meters/nope", VIEWER, null},
        {"GET", "/api/meters", "/api/meters", "wrong-token", null},
        {"POST", "/api/meters", "/api/meters", OPERATOR, "{\"id\":\"bad id!\",\"url\":\"x\"}"},
        {"DELETE", "/api/meters/{id}", "/api/meters/m1", VIEWER, null},
    };
    for (String[] c : calls) {
      Http.Response r = http.send(c[0], c[2], c[3], c[4]);
      String what = c[0] + " " + c[2] + " -> " + r.status() + " " + r.body();
      assertThat(schema.check(c[0], c[1], r.status(), r.body().isEmpty() ? null : r.json())).as(what).isEmpty();
    }
    // the checker itself notices an undocumented field and a wrong type
    JsonNode meter = http.get("/api/meters/m1", VIEWER).json();
    ((com.fasterxml.jackson.databind.node.ObjectNode) meter).put("surprise", 1).put("connected", "yes");
    assertThat(schema.check("GET", "/api/meters/{id}", 200, meter))
        .containsExactlyInAnyOrder("$.surprise: not documented", "$.connected: \"yes\" is not a boolean");
  }

  @Test
  void invalidAndRevokedTokensAreRefused() {
    assertThat(http.get("/api/meters", "nonsense").status()).isEqualTo(401);
    assertThat(http.get("/api/meters", revokedToken).status()).isEqualTo(401);
    assertThat(http.get("/api/meters", dbToken).status()).isEqualTo(200);
    Http.Response me = http.get("/api/me", dbToken);
    assertThat(me.json().get("name").asText()).isEqualTo("cli-viewer");
    assertThat(me.json().get("role").asText()).isEqualTo("viewer");
  }

  @Test
  void viewersCannotChangeAnything() {
    int clockSets = meters.meter("m1").clockSets.get();
    for (String[] call : new String[][] {
        {"POST", "/api/meters", "{\"id\":\"x\",\"url\":\"tcp://127.0.0.1:1\",\"keysFile\":\"k\"}"},
        {"DELETE", "/api/meters/m1", null},
        {"POST", "/api/meters/m1/disconnect", null},
        {"POST", "/api/meters/m1/reconnect", null},
        {"POST", "/api/meters/m1/message", "{\"text\":\"hi\"}"},
        {"POST", "/api/meters/m1/clock", null}}) {
      Http.Response r = http.send(call[0], call[1], VIEWER, call[2]);
      assertThat(r.status()).as(call[0] + " " + call[1]).isEqualTo(403);
      assertThat(r.json().get("error").asText()).contains("operator");
    }
    assertThat(meters.meter("m1").relayConnected).isTrue();
    assertThat(meters.meter("m1").clockSets).hasValue(clockSets);
    assertThat(http.get("/api/meters/m1", VIEWER).status()).isEqualTo(200);
  }

  @Test
  void badInputGets400WithAMessage() {
    Map<String, String[]> cases = Map.of(
        "not json", new String[] {"POST", "/api/meters", "{nope"},
        "no url", new String[] {"POST", "/api/meters", "{\"id\":\"m9\",\"keysFile\":\"k\"}"},
        "bad scheme", new String[] {"POST", "/api/meters", "{\"id\":\"m9\",\"url\":\"http://x:1\",\"keysFile\":\"k\"}"},
        "bad id", new String[] {"POST", "/api/meters", "{\"id\":\"../etc\",\"url\":\"tcp://127.0.0.1:1\",\"keysFile\":\"k\"}"},
        "unknown field", new String[] {"POST", "/api/meters", "{\"id\":\"m9\",\"url\":\"tcp://127.0.0.1:1\",\"keysFile\":\"k\",\"x\":1}"},
        "poll range", new String[] {"POST", "/api/meters", "{\"id\":\"m9\",\"url\":\"tcp://127.0.0.1:1\",\"keysFile\":\"k\",\"pollSeconds\":-1}"},
        "enabled not boolean", new String[] {"POST", "/api/meters/m1/continuous", "{\"enabled\":\"yes\"}"},
        "message without text", new String[] {"POST", "/api/meters/m1/message", "{\"txt\":\"hi\"}"},
        "message too long", new String[] {"POST", "/api/meters/m1/message", "{\"text\":\"" + "x".repeat(200) + "\"}"},
        "message with control characters", new String[] {"POST", "/api/meters/m1/message",
            "{\"text\":\"ok\\u0000\\n21:00:00.000 INFO LoggingRelay - relay closed\"}"});
    cases.forEach((what, call) -> {
      Http.Response r = http.send(call[0], call[1], OPERATOR, call[2]);
      assertThat(r.status()).as(what + ": " + r.body()).isEqualTo(400);
      assertThat(r.json().get("error").asText()).as(what).isNotBlank();
    });
    for (String query : List.of("from=yesterday", "to=2026-13-01T00:00:00Z", "limit=0", "limit=abc",
        "from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z")) {
      Http.Response r = http.get("/api/meters/m1/readings?" + query, VIEWER);
      assertThat(r.status()).as(query).isEqualTo(400);
    }
    Http.Response clockBody = http.post("/api/meters/m1/clock", OPERATOR, "{\"time\":\"2026-01-01T00:00:00Z\"}");
    assertThat(clockBody.status()).isEqualTo(400);
    assertThat(clockBody.json().get("error").asText()).contains("head-end's time");
    assertThat(http.get("/api/audit?limit=-5", VIEWER).status()).isEqualTo(400);
    assertThat(http.get("/api/meters/m9", VIEWER).status()).isEqualTo(404);
    assertThat(http.post("/api/meters/nope/read", VIEWER, null).status()).isEqualTo(404);
  }

  @Test
  void addReadAndRemoveAMeter() throws Exception {
    String body = "{\"id\":\"m2\",\"url\":\"tcp://127.0.0.1:4060\",\"keysFile\":\"k\",\"pollSeconds\":0}";
    Http.Response created = http.post("/api/meters", OPERATOR, body);
    assertThat(created.status()).isEqualTo(201);
    assertThat(created.json().get("transport").asText()).isEqualTo("tcp");
    assertThat(http.post("/api/meters", OPERATOR, body).status()).isEqualTo(409);

    Http.Response read = http.post("/api/meters/m2/read", VIEWER, null);
    assertThat(read.status()).isEqualTo(200);
    JsonNode reading = read.json();
    assertThat(reading.get("kind").asText()).isEqualTo("once");
    assertThat(reading.get("relay").asText()).isEqualTo("connected");
    assertThat(reading.get("values")).anySatisfy(v -> {
      assertThat(v.get("obis").asText()).isEqualTo("1.0.32.7.0.255");
      assertThat(v.get("value").decimalValue()).isEqualByComparingTo("230.1");
      assertThat(v.get("unit").asText()).isEqualTo("V");
    });
    Http.Response stored = http.get("/api/meters/m2/readings", VIEWER);
    assertThat(stored.json()).hasSize(1);
    assertThat(stored.json().get(0).get("readAt").asText()).isEqualTo(reading.get("readAt").asText());

    meters.meter("m2").reachable = false;
    Http.Response down = http.post("/api/meters/m2/read", VIEWER, null);
    assertThat(down.status()).isEqualTo(502);
    assertThat(down.json().get("error").asText()).contains("m2");
    assertThat(http.get("/api/meters/m2", VIEWER).json().get("lastError").asText()).contains("down");
    meters.meter("m2").reachable = true;
    assertThat(http.post("/api/meters/m2/read", VIEWER, null).status()).isEqualTo(200);

    assertThat(http.send("DELETE", "/api/meters/m2", OPERATOR, null).status()).isEqualTo(204);
    assertThat(http.get("/api/meters/m2", VIEWER).status()).isEqualTo(404);
    // history stays
    assertThat(http.get("/api/meters/m2/readings", VIEWER).json()).hasSize(2);
    JsonNode audit = http.get("/api/audit", VIEWER).json();
    assertThat(audit).anySatisfy(e -> {
      assertThat(e.get("action").asText()).isEqualTo("meter-remove");
      assertThat(e.get("actor").asText()).isEqualTo("olga");
    });
  }

  @Test
  void commandsAreConfirmedAndAudited() {
    Http.Response off = http.post("/api/meters/m1/disconnect", OPERATOR, null);
    assertThat(off.status()).isEqualTo(200);
    assertThat(off.json().get("relay").asText()).isEqualTo("disconnected");
    assertThat(off.json().get("confirmed").asBoolean()).isTrue();
    assertThat(meters.meter("m1").relayConnected).isFalse();
    // the command also stored the new state: 0 W
    JsonNode last = lastReading("m1");
    assertThat(last.get("relay").asText()).isEqualTo("disconnected");
    assertThat(valueOf(last, "1.0.1.7.0.255")).isZero();

    Http.Response msg = http.post("/api/meters/m1/message", OPERATOR, "{\"text\":\"Hallo Welt\"}");
    assertThat(msg.status()).isEqualTo(200);
    assertThat(meters.meter("m1").message).isEqualTo("Hallo Welt");

    Http.Response on = http.post("/api/meters/m1/reconnect", OPERATOR, null);
    assertThat(on.json().get("relay").asText()).isEqualTo("connected");

    JsonNode audit = http.get("/api/audit?limit=20", VIEWER).json();
    List<String> actions = new ArrayList<>();
    audit.forEach(e -> {
      if ("m1".equals(e.get("meterId").asText()) && "olga".equals(e.get("actor").asText())) {
        actions.add(e.get("action").asText() + ":" + e.get("result").asText());
      }
    });
    assertThat(actions).contains("disconnect:ok", "message:ok", "reconnect:ok");
    long auditId = off.json().get("auditId").asLong();
    assertThat(audit).anySatisfy(e -> {
      assertThat(e.get("id").asLong()).isEqualTo(auditId);
      assertThat(e.get("detail").asText()).isEqualTo("relay: disconnected");
      assertThat(e.get("finishedAt").isNull()).isFalse();
    });

    meters.meter("m1").reachable = false;
    try {
      Http.Response failed = http.post("/api/meters/m1/disconnect", OPERATOR, null);
      assertThat(failed.status()).isEqualTo(502);
      assertThat(http.get("/api/audit?limit=1", VIEWER).json().get(0).get("result").asText()).isEqualTo("failed");
    } finally {
      meters.meter("m1").reachable = true;
    }
  }

  @Test
  void aRefusedCommandRaisesAnAlarmThatOnlyAnOperatorAcknowledgesAudited() {
    meters.meter("m1").reachable = false;
    try {
      assertThat(http.post("/api/meters/m1/reconnect", OPERATOR, null).status()).isEqualTo(502);
    } finally {
      meters.meter("m1").reachable = true;
    }
    JsonNode[] alarm = new JsonNode[1];
    Conditions.await("an open command_refused alarm of m1", Duration.ofSeconds(20), () -> {
      for (JsonNode a : http.get("/api/alarms?state=open", VIEWER).json()) {
        if (a.get("kind").asText().equals("command_refused") && a.get("subject").asText().equals("m1")) {
          alarm[0] = a;
          return true;
        }
      }
      return false;
    });
    assertThat(alarm[0].get("detail").asText()).startsWith("reconnect: ").contains("m1");
    assertThat(http.get("/metrics", VIEWER).body()).containsPattern("headend_alarms_open\\{kind=\"command_refused\",?\\} [1-9]");
    long id = alarm[0].get("id").asLong();

    Http.Response viewer = http.post("/api/alarms/" + id + "/ack", VIEWER, null);
    assertThat(viewer.status()).isEqualTo(403);
    Http.Response ack = http.post("/api/alarms/" + id + "/ack", OPERATOR, null);
    assertThat(ack.status()).as(ack.body()).isEqualTo(200);
    assertThat(ack.json().get("state").asText()).isEqualTo("acknowledged");
    assertThat(ack.json().get("acknowledgedBy").asText()).isEqualTo("olga");
    assertThat(http.post("/api/alarms/" + id + "/ack", OPERATOR, null).status()).isEqualTo(409);
    assertThat(http.post("/api/alarms/x/ack", OPERATOR, null).status()).isEqualTo(400);
    assertThat(http.post("/api/alarms/987654/ack", OPERATOR, null).status()).isEqualTo(404);
    assertThat(http.get("/api/alarms?state=acknowledged", VIEWER).json())
        .anySatisfy(a -> assertThat(a.get("id").asLong()).isEqualTo(id));
    assertThat(http.get("/api/audit?limit=20", VIEWER).json()).anySatisfy(e -> {
      assertThat(e.get("action").asText()).isEqualTo("alarm-ack");
      assertThat(e.get("actor").asText()).isEqualTo("olga");
      assertThat(e.get("argument").asText()).isEqualTo("alarm " + id + " command_refused m1");
    });
  }

  @Test
  void pushSettingsAreSetOnTheMeterReadBackAndAudited() {
    Http.Response set = http.post("/api/meters/m1/push", OPERATOR,
        "{\"destination\":\"tcp://127.0.0.1:4069\",\"periodSeconds\":15}");
    assertThat(set.status()).as(set.body()).isEqualTo(200);
    assertThat(meters.meter("m1").push).isEqualTo(
        new org.s3mp.dlms.server.PushSettings("tcp://127.0.0.1:4069", 15, "tcp://127.0.0.1:4069"));
    JsonNode read = http.get("/api/meters/m1/push", VIEWER).json();
    assertThat(read.get("registersDestination").asText()).isEqualTo("tcp://127.0.0.1:4069");
    assertThat(read.get("periodSeconds").asLong()).isEqualTo(15);
    assertThat(read.get("eventsDestination").asText()).isEqualTo("tcp://127.0.0.1:4069");
    long auditId = set.json().get("auditId").asLong();
    assertThat(http.get("/api/audit?limit=20", VIEWER).json()).anySatisfy(e -> {
      assertThat(e.get("id").asLong()).isEqualTo(auditId);
      assertThat(e.get("action").asText()).isEqualTo("push-set");
      assertThat(e.get("argument").asText()).isEqualTo("tcp://127.0.0.1:4069 every 15 s");
      assertThat(e.get("result").asText()).isEqualTo("ok");
    });
    for (String bad : List.of("{\"destination\":\"tcp://127.0.0.1:4069\",\"periodSeconds\":-1}",
        "{\"destination\":\"tcp://127.0.0.1:4069\",\"periodSeconds\":86401}",
        "{\"destination\":\"udp://x\",\"periodSeconds\":5}", "{\"periodSeconds\":5}",
        "{\"destination\":\"\",\"periodSeconds\":\"5\"}",
        "{\"destination\":\"\",\"periodSeconds\":5,\"more\":1}")) {
      Http.Response r = http.post("/api/meters/m1/push", OPERATOR, bad);
      assertThat(r.status()).as(bad + " -> " + r.body()).isEqualTo(400);
      assertThat(r.json().get("error").asText()).as(bad).isNotBlank();
    }
    assertThat(http.post("/api/meters/m1/push", VIEWER, "{\"destination\":\"\",\"periodSeconds\":0}").status())
        .isEqualTo(403);
    assertThat(meters.meter("m1").push.periodSeconds()).isEqualTo(15);
    // push off again
    assertThat(http.post("/api/meters/m1/push", OPERATOR, "{\"destination\":\"\",\"periodSeconds\":0}").status())
        .isEqualTo(200);
    assertThat(meters.meter("m1").push).isEqualTo(org.s3mp.dlms.server.PushSettings.NONE);
  }

  @Test
  void aCommandTheMeterDoesNotConfirmIs502AndAuditedAsFailed() {
    FakeMeters.Fake m1 = meters.meter("m1");
    m1.stuck = true;
    try {
      Http.Response off = http.post("/api/meters/m1/disconnect", OPERATOR, null);
      assertThat(off.status()).as(off.body()).isEqualTo(502);
      assertThat(off.json().get("confirmed").asBoolean()).isFalse();
      assertThat(off.json().get("relay").asText()).isEqualTo("connected");
      JsonNode entry = http.get("/api/audit?limit=1", VIEWER).json().get(0);
      assertThat(entry.get("id").asLong()).isEqualTo(off.json().get("auditId").asLong());
      assertThat(entry.get("result").asText()).isEqualTo("failed");
      assertThat(entry.get("detail").asText()).isEqualTo("relay: connected");

      Http.Response msg = http.post("/api/meters/m1/message", OPERATOR, "{\"text\":\"nie gezeigt\"}");
      assertThat(msg.status()).as(msg.body()).isEqualTo(502);
      assertThat(msg.json().get("confirmed").asBoolean()).isFalse();
      assertThat(msg.json().get("text").asText()).isNotEqualTo("nie gezeigt");
    } finally {
      m1.stuck = false;
    }
    assertThat(m1.relayConnected).isTrue();
  }

  @Test
  void theClockIsReadOnDemandAndSetByOperatorsWithAnAuditEntry() {
    FakeMeters.Fake m1 = meters.meter("m1");
    m1.clockOffset = Duration.ofSeconds(-4); // within clock.maxDriftSeconds (10): the head-end leaves it
    try {
      Http.Response read = http.get("/api/meters/m1/clock", VIEWER);
      assertThat(read.status()).as(read.body()).isEqualTo(200);
      assertThat(read.json().get("driftSeconds").asDouble()).isBetween(-5.0, -3.0);
      java.time.Instant meterTime = java.time.Instant.parse(read.json().get("meterTime").asText());
      java.time.Instant headendTime = java.time.Instant.parse(read.json().get("headendTime").asText());
      assertThat(Duration.between(headendTime, meterTime).toMillis() / 1000.0)
          .isCloseTo(read.json().get("driftSeconds").asDouble(), org.assertj.core.api.Assertions.within(0.001));
      JsonNode meter = http.get("/api/meters/m1", VIEWER).json();
      assertThat(meter.get("clockDriftSeconds").asDouble()).isEqualTo(read.json().get("driftSeconds").asDouble());
      assertThat(meter.get("clockCheckedAt").isNull()).isFalse();
      JsonNode item = http.get("/api/fleet?q=m1", VIEWER).json().get("items").get(0);
      assertThat(item.get("clockDriftSeconds").asDouble()).isEqualTo(meter.get("clockDriftSeconds").asDouble());

      int setsBefore = m1.clockSets.get();
      Http.Response set = http.post("/api/meters/m1/clock", OPERATOR, null);
      assertThat(set.status()).as(set.body()).isEqualTo(200);
      assertThat(set.json().get("confirmed").asBoolean()).isTrue();
      assertThat(set.json().get("driftBeforeSeconds").asDouble()).isBetween(-5.0, -3.0);
      assertThat(set.json().get("driftSeconds").asDouble()).isBetween(-1.0, 1.0);
      assertThat(m1.clockSets.get()).isEqualTo(setsBefore + 1);
      long auditId = set.json().get("auditId").asLong();
      assertThat(http.get("/api/audit?limit=20", VIEWER).json()).anySatisfy(e -> {
        assertThat(e.get("id").asLong()).isEqualTo(auditId);
        assertThat(e.get("actor").asText()).isEqualTo("olga");
        assertThat(e.get("action").asText()).isEqualTo("clock-set");
        assertThat(e.get("result").asText()).isEqualTo("ok");
        assertThat(e.get("detail").asText()).startsWith("drift before -4.");
      });

      m1.clockStuck = true;
      m1.clockOffset = Duration.ofSeconds(60);
      Http.Response stuck = http.post("/api/meters/m1/clock", OPERATOR, null);
      assertThat(stuck.status()).as(stuck.body()).isEqualTo(502);
      assertThat(stuck.json().get("confirmed").asBoolean()).isFalse();
      assertThat(http.get("/api/audit?limit=1", VIEWER).json().get(0).get("result").asText()).isEqualTo("failed");
      assertThat(http.get("/api/meters/nope/clock", VIEWER).status()).isEqualTo(404);
    } finally {
      m1.clockStuck = false;
      m1.clockOffset = Duration.ZERO;
    }
  }

  @Test
  void liveStreamDeliversContinuousReadings() throws Exception {
    BlockingQueue<String> lines = new LinkedBlockingQueue<>();
    HttpRequest req = HttpRequest.newBuilder(http.base().resolve("/api/meters/m1/live"))
        .header("Authorization", "Bearer " + VIEWER).header("Accept", "text/event-stream").build();
    CompletableFuture<HttpResponse<Stream<String>>> response =
        http.client().sendAsync(req, HttpResponse.BodyHandlers.ofLines());
    HttpResponse<Stream<String>> r = response.get(10, TimeUnit.SECONDS);
    assertThat(r.statusCode()).isEqualTo(200);
    Thread reader = new Thread(() -> {
      try {
        r.body().forEach(lines::add);
      } catch (RuntimeException closed) {
        // the test closed the stream
      }
    });
    reader.setDaemon(true);
    reader.start();
    try {
      Conditions.await("the live stream to be subscribed", Duration.ofSeconds(5),
          () -> lines.contains("event: subscribed"));
      assertThat(http.post("/api/meters/m1/continuous", VIEWER, "{\"enabled\":true}").json().get("continuous").asBoolean())
          .isTrue();
      List<JsonNode> events = new ArrayList<>();
      String event = null;
      long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
      while (events.size() < 3 && System.nanoTime() < deadline) {
        String line = lines.poll(500, TimeUnit.MILLISECONDS);
        if (line != null && line.startsWith("event:")) {
          event = line.substring(6).trim();
        } else if (line != null && line.startsWith("data:") && "reading".equals(event)) {
          events.add(Http.JSON.readTree(line.substring(5)));
        }
      }
      assertThat(events).hasSize(3);
      assertThat(events).allSatisfy(e -> assertThat(e.get("meterId").asText()).isEqualTo("m1"));
      assertThat(events.get(2).get("readAt").asText()).isGreaterThan(events.get(0).get("readAt").asText());
    } finally {
      http.post("/api/meters/m1/continuous", VIEWER, "{\"enabled\":false}");
      r.body().close();
    }
    assertThat(http.get("/api/meters/m1", VIEWER).json().get("continuous").asBoolean()).isFalse();
  }

  @Test
  void metricsAreServedToViewers() {
    http.post("/api/meters/m1/read", VIEWER, null);
    Http.Response r = http.get("/metrics", VIEWER);
    assertThat(r.status()).isEqualTo(200);
    assertThat(r.body()).contains("headend_read_latency_seconds", "headend_meters ", "jvm_memory_used_bytes",
        "headend_meter_clock_drift_seconds{meter=\"m1\"}",
        "headend_readings_queued ", "headend_readings_queue_capacity 5000", "headend_readings_waiting ",
        "headend_readings_stored_total", "headend_readings_backpressure_total");
    assertThat(http.get("/metrics", null).status()).isEqualTo(401);
  }

  static JsonNode lastReading(String meter) {
    JsonNode all = http.get("/api/meters/" + meter + "/readings", VIEWER).json();
    return all.get(all.size() - 1);
  }

  static java.math.BigDecimal valueOf(JsonNode reading, String obis) {
    for (JsonNode v : reading.get("values")) {
      if (v.get("obis").asText().equals(obis)) {
        return v.get("value").decimalValue();
      }
    }
    throw new AssertionError("no " + obis + " in " + reading);
  }
}
