package org.s3mp.headend;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.s3mp.dlms.client.ClientSecurity;
import org.s3mp.dlms.client.MeterClient;
import org.s3mp.dlms.firmware.FirmwareImage;
import org.s3mp.dlms.security.KeysFile;

/**
 * A firmware rollout from a real head-end process to three real meter processes over TCP, one at a time: a
 * pause lets the transfer in progress finish and starts no other meter until resumed; the meter that trusts
 * another signer refuses the image and ends failed with the reason while the others end active (their firmware
 * id read back from the meters themselves); images the head-end's vendor keys do not verify are refused with
 * 400; and a head-end killed (-9) in the middle of a transfer finishes the rollout after its restart, going on
 * from the meter's image_first_not_transferred_block_number.
 */
class FirmwareRolloutIT {
  static final String OPERATOR = "operator-token-of-the-firmware-rollout-it";
  static final String VIEWER = "viewer-token-of-the-firmware-rollout-it-1";
  static final Duration WAIT = Duration.ofSeconds(120);

  @TempDir Path dir;
  @RegisterExtension final Running running = new Running();

  @Test
  void rolloutWithPauseResumeARefusingMeterAndAKilledHeadend() throws Exception {
    KeyPair vendor = FirmwareImage.generateKeyPair();
    KeyPair other = FirmwareImage.generateKeyPair();
    Path vendorPub = dir.resolve("vendor.pub");
    Path otherPub = dir.resolve("other.pub");
    Files.writeString(vendorPub, FirmwareImage.pem(vendor.getPublic()));
    Files.writeString(otherPub, FirmwareImage.pem(other.getPublic()));
    Files.createDirectories(dir.resolve("keys/firmware-vendors"));
    Files.copy(vendorPub, dir.resolve("keys/firmware-vendors/vendor.pub"));

    Map<String, RealMeters.Meter> meters = new LinkedHashMap<>();
    int seed = 30;
    for (String id : List.of("m1", "m2", "m3")) {
      Path keys = RealMeters.keys(dir.resolve("meters"), id);
      Files.copy(keys, dir.resolve("keys/" + id + ".keys"));
      // m3 trusts another signer: it refuses the vendor's image at image_verify
      RealMeters.Meter m = RealMeters.start(dir.resolve("meters"), id, keys, 60, seed++, 0,
          List.of("--firmware-key", (id.equals("m3") ? otherPub : vendorPub).toString()));
      running.add(m);
      meters.put(id, m);
    }
    String before = firmwareOf(meters.get("m1"));
    Path config = config(meters);
    ChildProcess headend = HeadendProcessMain.start(dir, config, "headend-1");
    running.add(headend);
    Http http = new Http(HeadendProcessMain.baseUri(headend));

    // images: 1 MiB payload signed by the vendor; refusals first
    byte[] payload = new byte[1 << 20];
    new Random(18).nextBytes(payload);
    byte[] image = FirmwareImage.sign("s3mp-meter 2.0", payload, true, vendor.getPrivate()).encode();
    byte[] foreign = FirmwareImage.sign("s3mp-meter 2.0", payload, true, other.getPrivate()).encode();
    Http.Response refused = http.post("/api/firmware/images", OPERATOR, upload(foreign));
    assertThat(refused.status()).as(refused.body()).isEqualTo(400);
    assertThat(refused.json().get("error").asText()).contains("does not verify with any of the 1 vendor keys");
    assertThat(http.post("/api/firmware/images", VIEWER, upload(image)).status()).isEqualTo(403);
    assertThat(http.post("/api/firmware/images", OPERATOR, "{\"image\": \"%%%\"}").status()).isEqualTo(400);
    Http.Response uploaded = http.post("/api/firmware/images", OPERATOR, upload(image));
    assertThat(uploaded.status()).as(uploaded.body()).isEqualTo(201);
    String imageId = uploaded.json().get("id").asText();
    assertThat(uploaded.json().get("signer").asText()).isEqualTo("vendor.pub");

    // rollout, one meter at a time; paused while m1 transfers
    Instant started = Instant.now();
    Http.Response created = http.post("/api/firmware/rollouts", OPERATOR,
        "{\"imageId\": \"" + imageId + "\", \"meters\": [\"m1\", \"m2\", \"m3\"], \"concurrency\": 1}");
    assertThat(created.status()).as(created.body()).isEqualTo(201);
    long id = created.json().get("id").asLong();
    String path = "/api/firmware/rollouts/" + id;
    Conditions.await("m1 transferring", WAIT, () -> meterState(http, path, "m1").equals("transferring"));
    Http.Response paused = http.post(path + "/pause", OPERATOR, null);
    assertThat(paused.status()).as(paused.body()).isEqualTo(200);
    assertThat(http.post(path + "/pause", OPERATOR, null).status()).as("paused already").isEqualTo(409);
    Conditions.await("m1 active", WAIT, () -> meterState(http, path, "m1").equals("active"));
    Duration first = Duration.between(started, Instant.now());
    awaitPass(http, path);
    awaitPass(http, path);
    JsonNode whilePaused = http.get(path, VIEWER).json();
    assertThat(whilePaused.get("state").asText()).isEqualTo("paused");
    assertThat(meter(whilePaused, "m2").get("state").asText()).as("no meter starts while paused")
        .isEqualTo("pending");
    assertThat(meter(whilePaused, "m3").get("state").asText()).isEqualTo("pending");
    assertThat(meter(whilePaused, "m1").get("firmwareId").asText()).isEqualTo("s3mp-meter 2.0");
    assertThat(meter(whilePaused, "m1").get("bytesDone").asLong()).isEqualTo(image.length);

    // resumed: m2 active, m3 failed with the meter's reason
    Instant resumed = Instant.now();
    assertThat(http.post(path + "/resume", OPERATOR, null).status()).isEqualTo(200);
    Conditions.await("rollout done", WAIT, () -> http.get(path, VIEWER).json().get("state").asText().equals("done"));
    Duration rest = Duration.between(resumed, Instant.now());
    JsonNode done = http.get(path, VIEWER).json();
    assertThat(meter(done, "m2").get("state").asText()).isEqualTo("active");
    assertThat(meter(done, "m3").get("state").asText()).isEqualTo("failed");
    assertThat(meter(done, "m3").get("reason").asText()).contains("refused the image").contains("image_verify");
    assertThat(done.get("counts").get("active").asInt()).isEqualTo(2);
    assertThat(firmwareOf(meters.get("m1"))).isEqualTo("s3mp-meter 2.0");
    assertThat(firmwareOf(meters.get("m2"))).isEqualTo("s3mp-meter 2.0");
    assertThat(firmwareOf(meters.get("m3"))).as("the refusing meter keeps its firmware").isEqualTo(before);
    JsonNode auditLog = http.get("/api/audit?limit=50", VIEWER).json();
    List<String> transfers = new ArrayList<>();
    auditLog.forEach(e -> {
      if (e.get("action").asText().equals("firmware-transfer")) {
        transfers.add(e.get("meterId").asText() + ":" + e.get("result").asText());
      }
    });
    assertThat(transfers).containsExactlyInAnyOrder("m1:ok", "m2:ok", "m3:failed");
    System.out.printf("firmware rollout over TCP, %d-byte image: first meter %d ms (incl. association),"
        + " 2 more one at a time %d ms%n", image.length, first.toMillis(), rest.toMillis());

    // a head-end killed in the middle of a transfer: the restarted one transfers again and finishes
    byte[] next = FirmwareImage.sign("s3mp-meter 2.1", payload, true, vendor.getPrivate()).encode();
    String nextId = http.post("/api/firmware/images", OPERATOR, upload(next)).json().get("id").asText();
    Instant allStarted = Instant.now();
    long id2 = http.post("/api/firmware/rollouts", OPERATOR, "{\"imageId\": \"" + nextId
        + "\", \"filter\": {\"q\": \"m\"}, \"concurrency\": 2}").json().get("id").asLong();
    String path2 = "/api/firmware/rollouts/" + id2;
    Conditions.await("m1 half sent", WAIT, () -> {
      JsonNode r = http.get(path2, VIEWER).json();
      JsonNode m = meter(r, "m1");
      String state = m.get("state").asText();
      if (state.equals("pending")) {
        return false; // the rollout's runner has not reached it yet
      }
      if (!state.equals("transferring")) {
        throw new AssertionError("m1 got past its transfer before the kill: " + r);
      }
      return m.get("bytesDone").asLong() > m.get("bytesTotal").asLong() / 4;
    });
    headend.kill();
    ChildProcess restarted = HeadendProcessMain.start(dir, config, "headend-2");
    running.add(restarted);
    Http http2 = new Http(HeadendProcessMain.baseUri(restarted));
    Conditions.await("rollout 2 done after the restart", WAIT,
        () -> http2.get(path2, VIEWER).json().get("state").asText().equals("done"));
    JsonNode done2 = http2.get(path2, VIEWER).json();
    assertThat(meter(done2, "m1").get("state").asText()).isEqualTo("active");
    assertThat(meter(done2, "m2").get("state").asText()).isEqualTo("active");
    assertThat(meter(done2, "m3").get("state").asText()).isEqualTo("failed");
    assertThat(firmwareOf(meters.get("m1"))).isEqualTo("s3mp-meter 2.1");
    assertThat(firmwareOf(meters.get("m2"))).isEqualTo("s3mp-meter 2.1");
    // the restarted head-end went on from the meter's first missing block: one initiate per rollout, not two
    for (String m : List.of("m1", "m2")) {
      String log = Files.readString(dir.resolve("meters/" + m + ".log"));
      assertThat(log.split("firmware image transfer initiated", -1).length - 1).as(m + " initiates").isEqualTo(2);
    }
    System.out.printf("firmware rollout over TCP to 3 meters, 2 at a time, with a kill -9 and restart of the"
        + " head-end: %d ms%n", Duration.between(allStarted, Instant.now()).toMillis());
  }

  private static String upload(byte[] image) {
    return "{\"image\": \"" + Base64.getEncoder().encodeToString(image) + "\"}";
  }

  private static String meterState(Http http, String path, String meterId) {
    return meter(http.get(path, VIEWER).json(), meterId).get("state").asText();
  }

  private static JsonNode meter(JsonNode rollout, String meterId) {
    for (JsonNode m : rollout.get("meters")) {
      if (m.get("meterId").asText().equals(meterId)) {
        return m;
      }
    }
    throw new AssertionError("no meter " + meterId + " in " + rollout);
  }

  /** Waits for a pass of the head-end's rollout runner that began after now. */
  private static void awaitPass(Http http, String path) {
    Instant after = Instant.now();
    Conditions.await("a pass over the rollout", WAIT, () -> {
      JsonNode at = http.get(path, VIEWER).json().get("checkedAt");
      return !at.isNull() && Instant.parse(at.asText()).isAfter(after);
    });
  }

  private static String firmwareOf(RealMeters.Meter m) throws Exception {
    try (MeterClient c = MeterClient.open(m.url(), ClientSecurity.management(KeysFile.load(m.keys())))) {
      return c.readFirmwareId();
    }
  }

  private Path config(Map<String, RealMeters.Meter> meters) throws Exception {
    HeadendProcessConfig config = new HeadendProcessConfig().polling(1, 5000)
        .token("olga", "operator", OPERATOR).token("vera", "viewer", VIEWER);
    meters.forEach((id, m) -> config.meter(id, m.url()));
    return config.writeTo(dir);
  }
}
