package org.s3mp.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.s3mp.dlms.firmware.FirmwareImage;
import org.s3mp.headend.Headend;
import org.s3mp.headend.HeadendConfig;
import org.s3mp.headend.auth.TokenStore;
import org.s3mp.headend.fleet.MeterInput;
import org.s3mp.headend.polling.DlmsMeterConnector;

/**
 * Time to roll a signed image out to N meters over TCP: N simulated meters in one process ({@code s3mp meter
 * --count N --firmware-key}), a head-end in this process, the image uploaded and rolled out through its API with
 * the given concurrency; measures the whole rollout and each meter's transfer (claim to active).
 */
public final class FirmwareBenchmark {
  private FirmwareBenchmark() {}

  public record Settings(int meters, int concurrency, int imageKiB, Path out, List<String> meterCommand) {}

  public record Result(int meters, int concurrency, long imageBytes, double rolloutSeconds, double meterP50Seconds,
      double meterMaxSeconds, double megabytesPerSecond, int active, int failed) {}

  public static Result run(Settings s, Consumer<String> progress) throws Exception {
    Files.createDirectories(s.out());
    Path data = s.out().resolve("meters");
    KeyPair vendor = FirmwareImage.generateKeyPair();
    Path vendorKey = data.resolve("firmware-vendors/vendor.pub");
    Files.createDirectories(vendorKey.getParent());
    Files.writeString(vendorKey, FirmwareImage.pem(vendor.getPublic()));
    List<String> args = new ArrayList<>(List.of("--simulated", "--count", Integer.toString(s.meters()),
        "--data", data.toString(), "--firmware-key", vendorKey.toString(),
        "--listen", "tcp://127.0.0.1:" + FleetBenchmark.freeConsecutivePorts(s.meters())));
    try (MeterProcess meterProcess = MeterProcess.start(s.meterCommand(), args, s.out().resolve("meters.log"))) {
      meterProcess.awaitLog(s.meters() + " meters running", Duration.ofSeconds(120 + s.meters() / 20));
      List<MeterInput> inputs = new ArrayList<>();
      Matcher m = Pattern.compile("meter \\S+ listening on (\\S+) \\(data (\\S+), keys (\\S+)\\)")
          .matcher(meterProcess.logText());
      while (m.find()) {
        String id = "fw-" + Path.of(m.group(2)).getFileName().toString().substring("meter-".length());
        inputs.add(new MeterInput(id, m.group(1), data.relativize(Path.of(m.group(3))).toString(), null, false, 0,
            false));
      }
      progress.accept(inputs.size() + " meters running in process " + meterProcess.pid());
      String token = "firmware-bench-" + Long.toHexString(new Random().nextLong()) + "-operator-token";
      Path db = s.out().resolve("db");
      if (Files.isDirectory(db)) {
        try (var files = Files.list(db)) {
          for (Path f : files.toList()) {
            Files.delete(f);
          }
        }
      }
      HeadendConfig config = new HeadendConfig(new HeadendConfig.Http("127.0.0.1:0", null),
          new HeadendConfig.Database(db.resolve("headend").toString(), null, null), null,
          List.of(new HeadendConfig.Token("bench", "operator", TokenStore.sha256(token))), inputs, null,
          data.toString(), null).withDefaults();
      try (Headend headend = Headend.start(config,
          new DlmsMeterConnector())) {
        byte[] payload = new byte[s.imageKiB() * 1024];
        new Random(18).nextBytes(payload);
        byte[] image = FirmwareImage.sign("s3mp-meter bench", payload, true, vendor.getPrivate()).encode();
        Api api = new Api(headend.baseUri(), token);
        String imageId = api.post("/api/firmware/images", "{\"image\": \""
            + Base64.getEncoder().encodeToString(image) + "\"}").get("id").asText();
        StringBuilder ids = new StringBuilder();
        inputs.forEach(i -> ids.append(ids.length() == 0 ? "" : ", ").append('"').append(i.id()).append('"'));
        long t0 = System.nanoTime();
        long id = api.post("/api/firmware/rollouts", "{\"imageId\": \"" + imageId + "\", \"meters\": [" + ids
            + "], \"concurrency\": " + s.concurrency() + "}").get("id").asLong();
        JsonNode r;
        int shown = -1;
        while (true) {
          r = api.get("/api/firmware/rollouts/" + id);
          int active = r.get("counts").get("active").asInt();
          if (active != shown) {
            progress.accept(active + " of " + s.meters() + " meters active");
            shown = active;
          }
          if (r.get("state").asText().equals("done")) {
            break;
          }
          if (!meterProcess.alive()) {
            throw new IOException("the meter process exited: " + meterProcess.logTail());
          }
          Thread.sleep(200); // the sampling period of the API
        }
        double total = (System.nanoTime() - t0) / 1e9;
        List<Double> perMeter = new ArrayList<>();
        for (JsonNode meter : r.get("meters")) {
          if (meter.get("state").asText().equals("active")) {
            perMeter.add(Duration.between(Instant.parse(meter.get("startedAt").asText()),
                Instant.parse(meter.get("finishedAt").asText())).toMillis() / 1000.0);
          }
        }
        perMeter.sort(null);
        int active = r.get("counts").get("active").asInt();
        Result result = new Result(s.meters(), s.concurrency(), image.length, total,
            perMeter.isEmpty() ? Double.NaN : perMeter.get(perMeter.size() / 2),
            perMeter.isEmpty() ? Double.NaN : perMeter.get(perMeter.size() - 1),
            active * image.length / 1e6 / total, active, r.get("counts").get("failed").asInt());
        new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT)
            .writeValue(s.out().resolve("firmware.json").toFile(), result);
        return result;
      }
    }
  }

  public static String summary(Result r) {
    return String.format(Locale.ROOT, "firmware rollout over TCP: %d-byte image to %d meters, %d at once: %.1f s"
        + " (per meter p50 %.1f s, max %.1f s; %.2f MB/s of images), %d active, %d failed", r.imageBytes(),
        r.meters(), r.concurrency(), r.rolloutSeconds(), r.meterP50Seconds(), r.meterMaxSeconds(),
        r.megabytesPerSecond(), r.active(), r.failed());
  }

  private record Api(URI base, String token) {
    private static final HttpClient CLIENT = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    JsonNode get(String path) throws IOException, InterruptedException {
      return send(HttpRequest.newBuilder(base.resolve(path)).GET());
    }

    JsonNode post(String path, String body) throws IOException, InterruptedException {
      return send(HttpRequest.newBuilder(base.resolve(path)).header("Content-Type", "application/json")
          .POST(HttpRequest.BodyPublishers.ofString(body)));
    }

    private JsonNode send(HttpRequest.Builder request) throws IOException, InterruptedException {
      HttpResponse<String> r = CLIENT.send(request.header("Authorization", "Bearer " + token)
          .timeout(Duration.ofSeconds(60)).build(), HttpResponse.BodyHandlers.ofString());
      if (r.statusCode() / 100 != 2) {
        throw new IOException("HTTP " + r.statusCode() + ": " + r.body());
      }
      return new ObjectMapper().readTree(r.body());
    }
  }

}
