package org.s3mp.headend;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.s3mp.dlms.security.KeysFile;
import org.s3mp.headend.auth.Role;
import org.s3mp.headend.auth.TokenStore;
import org.s3mp.headend.fleet.MeterInput;
import org.s3mp.headend.storage.Database;

/**
 * What an adversarial run found against the head-end's HTTP side (issue 20), against the real server: keys
 * files only from the keys directory, live streams of vanished clients closed and capped per token, HEAD and
 * method overrides, refused calls audited, strict JSON, URL checks, security headers, token expiry.
 */
class ApiHardeningTest {

  static final String VIEWER = "viewer-secret-for-the-hardening-test-00";
  static final String OPERATOR = "operator-secret-for-the-hardening-test";
  static final String KEYS = KeysFile.generate(new byte[] {1, 2, 3, 4, 5, 6, 7, 8},
      new byte[] {8, 7, 6, 5, 4, 3, 2, 1}).format();

  @RegisterExtension static final ApiTestHeadend api = new ApiTestHeadend();
  @TempDir static Path dir;
  static Path keysDir;
  static FakeMeters meters = api.meters;
  static Headend headend;
  static Http http;
  static String freshToken;
  static String expiredToken;

  @BeforeAll
  static void start() throws Exception {
    String db = ApiTestHeadend.database(dir);
    keysDir = Files.createDirectories(dir.resolve("keys"));
    Files.writeString(keysDir.resolve("m1.keys"), KEYS);
    try (Database d = Database.open(db, null, null)) {
      TokenStore tokens = new TokenStore(d, Map.of());
      freshToken = tokens.create("fresh", Role.VIEWER).secret();
      TokenStore.Created old = tokens.create("old", Role.VIEWER);
      expiredToken = old.secret();
      try (Connection c = d.connection();
          PreparedStatement ps = c.prepareStatement("UPDATE api_token SET created_at = ? WHERE id = ?")) {
        ps.setObject(1, Database.toDb(Instant.now().minus(Duration.ofHours(3))));
        ps.setString(2, old.token().id());
        ps.executeUpdate();
      }
    }
    HeadendConfig config = ApiTestHeadend.config(dir, new HeadendConfig.Http("127.0.0.1:0", null, 1, 2),
        List.of(ApiTestHeadend.token("alice", Role.VIEWER, VIEWER), ApiTestHeadend.token("olga", Role.OPERATOR, OPERATOR)),
        List.of(new MeterInput("m1", "tcp://127.0.0.1:4059", "m1.keys", null, null, 0, false)), keysDir, 2);
    headend = api.start(config);
    http = api.http();
  }

  // --- keys files ---

  @Test
  void keysFilesOutsideTheKeysDirectoryOrNotRegularAreRefusedAlike() throws Exception {
    Path outside = Files.writeString(dir.resolve("outside.keys"), KEYS);
    Files.createSymbolicLink(keysDir.resolve("zero.keys"), Path.of("/dev/zero"));
    Files.createSymbolicLink(keysDir.resolve("link-out.keys"), outside);
    Files.createDirectories(keysDir.resolve("adir"));
    Files.writeString(keysDir.resolve("big.keys"), KEYS + "#".repeat(70_000) + "\n");
    Files.writeString(keysDir.resolve("notkeys.keys"), "authentication-key=00\n");
    Path fifo = keysDir.resolve("fifo.keys");
    Process mkfifo = new ProcessBuilder("mkfifo", fifo.toString()).start();
    assertThat(mkfifo.waitFor(10, TimeUnit.SECONDS) && mkfifo.exitValue() == 0).as("mkfifo").isTrue();

    List<String> refused = List.of("/etc/passwd", "/etc/shadow", "/proc/self/environ", "../outside.keys",
        outside.toString(), "zero.keys", "link-out.keys", "adir", ".", "big.keys", "notkeys.keys", "fifo.keys",
        "missing.keys", "/dev/zero");
    String firstMessage = null;
    for (String keysFile : refused) {
      Http.Response r = http.post("/api/meters", OPERATOR,
          "{\"id\":\"k1\",\"url\":\"tcp://127.0.0.1:4070\",\"keysFile\":" + Http.JSON.writeValueAsString(keysFile) + "}");
      assertThat(r.status()).as(keysFile).isEqualTo(400);
      String message = r.json().get("error").asText();
      firstMessage = firstMessage == null ? message : firstMessage;
      assertThat(message).as("the same message whatever the reason (%s)", keysFile).isEqualTo(firstMessage);
      assertThat(message).doesNotContain(keysFile).doesNotContain("authentication").doesNotContain("root");
    }
    assertThat(http.get("/api/meters/k1", VIEWER).status()).isEqualTo(404);

    Files.writeString(keysDir.resolve("k2.keys"), KEYS);
    assertThat(http.post("/api/meters", OPERATOR,
        "{\"id\":\"k2\",\"url\":\"tcp://127.0.0.1:4071\",\"keysFile\":\"k2.keys\",\"pollSeconds\":0}").status())
        .isEqualTo(201);
  }

  // --- live streams ---

  @Test
  void liveStreamsOfVanishedClientsAreClosedByTheHeartbeat() throws Exception {
    Conditions.await("streams of other tests closed", Duration.ofSeconds(20), () -> liveSubscribers() == 0);
    int before = 0;
    try (Socket socket = new Socket("127.0.0.1", headend.port())) {
      assertThat(openLive(socket, VIEWER)).startsWith("HTTP/1.1 200");
      assertThat(liveSubscribers()).isEqualTo(before + 1);
    } // the client vanishes without a word
    Conditions.await("the vanished client's stream closed", Duration.ofSeconds(20),
        () -> liveSubscribers() == before);
  }

  @Test
  void oneTokenGetsAtMostItsShareOfLiveStreams() throws Exception {
    Conditions.await("streams of other tests closed", Duration.ofSeconds(20), () -> liveSubscribers() == 0);
    List<Socket> open = new ArrayList<>();
    try {
      for (int i = 0; i < 2; i++) {
        Socket s = new Socket("127.0.0.1", headend.port());
        open.add(s);
        assertThat(openLive(s, OPERATOR)).startsWith("HTTP/1.1 200");
      }
      try (Socket third = new Socket("127.0.0.1", headend.port())) {
        assertThat(openLive(third, OPERATOR)).startsWith("HTTP/1.1 429");
      }
      assertThat(http.get("/api/meters", OPERATOR).status()).as("other calls still work").isEqualTo(200);
    } finally {
      for (Socket s : open) {
        s.close();
      }
    }
    Conditions.await("a stream again once the others closed", Duration.ofSeconds(20), () -> {
      try (Socket s = new Socket("127.0.0.1", headend.port())) {
        return openLive(s, OPERATOR).startsWith("HTTP/1.1 200");
      } catch (Exception e) {
        return false;
      }
    });
  }

  /** Requests a live stream on a raw socket: the status line, after the "subscribed" event when it is 200. */
  private static String openLive(Socket socket, String token) throws Exception {
    socket.setSoTimeout(10_000);
    OutputStream out = socket.getOutputStream();
    out.write(("GET /api/meters/m1/live HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + token
        + "\r\nAccept: text/event-stream\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
    out.flush();
    InputStream in = socket.getInputStream();
    StringBuilder seen = new StringBuilder();
    // read the whole "subscribed" event: closing with unread bytes would send a RST, which any server notices;
    // a vanished client's orderly FIN is what left streams in CLOSE-WAIT
    while (!wholeSubscribedEvent(seen.toString()) && !seen.toString().contains("\r\n\r\n{")) {
      int b = in.read();
      if (b == -1) {
        break;
      }
      seen.append((char) b);
    }
    return seen.toString();
  }

  private static boolean wholeSubscribedEvent(String seen) {
    int at = seen.indexOf("subscribed");
    if (at < 0 || seen.indexOf("\n\n", at) < 0) {
      return false;
    }
    boolean chunked = seen.toLowerCase(java.util.Locale.ROOT).contains("transfer-encoding: chunked");
    return chunked ? seen.endsWith("\n\n\r\n") : seen.endsWith("\n\n");
  }

  private static int liveSubscribers() {
    String metrics = http.get("/metrics", VIEWER).body();
    return metrics.lines().filter(l -> l.startsWith("headend_live_subscribers "))
        .mapToInt(l -> (int) Double.parseDouble(l.substring(l.indexOf(' ') + 1))).findFirst().orElseThrow();
  }

  // --- methods, auth, audit ---

  @Test
  void headNeedsATokenLikeGet() {
    for (String path : List.of("/api/meters", "/api/audit", "/api/meters/m1", "/metrics", "/api/openapi.json")) {
      assertThat(http.send("HEAD", path, null, null).status()).as("HEAD " + path).isEqualTo(401);
      assertThat(http.send("HEAD", path, "wrong-token", null).status()).as("HEAD " + path).isEqualTo(401);
    }
    assertThat(http.send("HEAD", "/api/meters", VIEWER, null).status()).isEqualTo(200);
  }

  @Test
  void methodOverrideHeadersAreRefused() throws Exception {
    Files.writeString(keysDir.resolve("ov.keys"), KEYS);
    assertThat(http.post("/api/meters", OPERATOR,
        "{\"id\":\"ov\",\"url\":\"tcp://127.0.0.1:4072\",\"keysFile\":\"ov.keys\",\"pollSeconds\":0}").status())
        .isEqualTo(201);
    HttpRequest overridden = HttpRequest.newBuilder(headend.baseUri().resolve("/api/meters/ov"))
        .header("Authorization", "Bearer " + OPERATOR).header("X-HTTP-Method-Override", "DELETE")
        .POST(HttpRequest.BodyPublishers.noBody()).build();
    int status = HttpClient.newHttpClient().send(overridden, HttpResponse.BodyHandlers.ofString()).statusCode();
    assertThat(status).isEqualTo(400);
    assertThat(http.get("/api/meters/ov", VIEWER).status()).as("still there").isEqualTo(200);
  }

  @Test
  void refusedCallsAreAuditedWithoutFloodingTheLog() {
    int before = refusals().size();
    for (int i = 0; i < 20; i++) {
      assertThat(http.get("/api/meters", "guess-" + i).status()).isEqualTo(401);
    }
    assertThat(http.post("/api/meters/m1/disconnect", VIEWER, null).status()).isEqualTo(403);
    List<JsonNode> after = refusals();
    assertThat(after.size() - before).as("aggregated: one 401 entry and one 403 entry").isBetween(1, 3);
    assertThat(after).anySatisfy(e -> {
      assertThat(e.get("action").asText()).isEqualTo("refused-forbidden");
      assertThat(e.get("actor").asText()).isEqualTo("alice");
      assertThat(e.get("argument").asText()).isEqualTo("POST /api/meters/m1/disconnect");
    });
    assertThat(after).anySatisfy(e -> assertThat(e.get("action").asText()).isEqualTo("refused-unauthenticated"));
  }

  private static List<JsonNode> refusals() {
    List<JsonNode> result = new ArrayList<>();
    http.get("/api/audit?limit=1000", OPERATOR).json().forEach(e -> {
      if (e.get("action").asText().startsWith("refused-")) {
        result.add(e);
      }
    });
    return result;
  }

  @Test
  void tokensExpire() {
    assertThat(http.get("/api/me", freshToken).status()).isEqualTo(200);
    Http.Response expired = http.get("/api/me", expiredToken);
    assertThat(expired.status()).isEqualTo(401);
    assertThat(expired.json().get("error").asText()).contains("expired");
  }

  // --- input ---

  @Test
  void jsonIsStrictAndMustSayItIsJson() throws Exception {
    Map<String, String> bad = Map.of(
        "duplicate key", "{\"enabled\":true,\"enabled\":false}",
        "trailing garbage", "{\"enabled\":true} x",
        "second value", "{\"enabled\":true}{\"enabled\":false}",
        "string as boolean", "{\"enabled\":\"true\"}");
    for (Map.Entry<String, String> b : bad.entrySet()) {
      assertThat(http.post("/api/meters/m1/continuous", OPERATOR, b.getValue()).status()).as(b.getKey()).isEqualTo(400);
    }
    assertThat(http.post("/api/meters", OPERATOR,
        "{\"id\":\"s1\",\"url\":\"tcp://127.0.0.1:4073\",\"keysFile\":\"m1.keys\",\"pollSeconds\":\"60\"}").status())
        .as("string as number").isEqualTo(400);
    HttpRequest text = HttpRequest.newBuilder(headend.baseUri().resolve("/api/meters/m1/continuous"))
        .header("Authorization", "Bearer " + OPERATOR).header("Content-Type", "text/plain")
        .POST(HttpRequest.BodyPublishers.ofString("{\"enabled\":false}")).build();
    assertThat(HttpClient.newHttpClient().send(text, HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(415);
    assertThat(http.post("/api/meters/m1/continuous", OPERATOR, "{\"enabled\":false}").status()).isEqualTo(200);
  }

  @Test
  void meterUrlsWithPortZeroOrCredentialsAreRefused() {
    for (String url : List.of("tcp://127.0.0.1:0", "scion://1-ff00:0:111,[127.0.0.1]:0",
        "tcp://user:secret@127.0.0.1:4059")) {
      Http.Response r = http.post("/api/meters", OPERATOR,
          "{\"id\":\"u1\",\"url\":\"" + url + "\",\"keysFile\":\"m1.keys\"}");
      assertThat(r.status()).as(url).isEqualTo(400);
      assertThat(r.body()).doesNotContain("secret");
    }
  }

  @Test
  void everyAnswerCarriesSecurityHeaders() throws Exception {
    for (String path : List.of("/", "/app.js", "/health", "/api/meters")) {
      HttpResponse<String> r = HttpClient.newHttpClient().send(
          HttpRequest.newBuilder(headend.baseUri().resolve(path)).header("Authorization", "Bearer " + VIEWER).build(),
          HttpResponse.BodyHandlers.ofString());
      assertThat(r.headers().firstValue("Content-Security-Policy")).as(path).hasValueSatisfying(
          v -> assertThat(v).contains("default-src 'self'").contains("frame-ancestors 'none'"));
      assertThat(r.headers().firstValue("X-Frame-Options")).as(path).hasValue("DENY");
      assertThat(r.headers().firstValue("X-Content-Type-Options")).as(path).hasValue("nosniff");
    }
  }
}
