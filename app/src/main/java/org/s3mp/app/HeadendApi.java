package org.s3mp.app;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import picocli.CommandLine.Option;

/** Where the head-end is and who asks: the options and the one HTTP call of the commands that use its API. */
class HeadendApi {
  /** Made on the first call: picocli creates this mixin for every command, and Jackson costs a meter 5 MB. */
  private static final class Json {
    static final ObjectMapper MAPPER = new ObjectMapper();
  }

  @Option(names = "--headend", paramLabel = "URL", defaultValue = "http://127.0.0.1:8080",
      description = "The head-end's base URL (default ${DEFAULT-VALUE}).")
  String headend;

  @Option(names = "--token", paramLabel = "TOKEN", description = "API token (default: $S3MP_TOKEN); changes"
      + " need an operator token.")
  String token;

  /**
   * The JSON answer to a request ({@code body} JSON for a POST, or null); a clear error for a missing token, a
   * bad URL, an unreachable head-end and any answer but 2xx (with the head-end's own message).
   */
  JsonNode call(String method, String path, String body) throws IOException, InterruptedException {
    String t = token != null ? token : System.getenv("S3MP_TOKEN");
    if (t == null || t.isBlank()) {
      throw new S3mp.UsageError("--token TOKEN or S3MP_TOKEN is required (./s3mp token create)");
    }
    URI base;
    try {
      base = URI.create(headend.endsWith("/") ? headend : headend + "/");
    } catch (IllegalArgumentException e) {
      throw new S3mp.UsageError("--headend: not a URL: " + headend);
    }
    HttpRequest.Builder request = HttpRequest.newBuilder(base.resolve(path.substring(1)))
        .timeout(Duration.ofSeconds(90))
        .header("Authorization", "Bearer " + t)
        .header("Accept", "application/json");
    request = method.equals("POST")
        ? request.header("Content-Type", "application/json").POST(body == null
            ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body))
        : request.GET();
    HttpResponse<String> response;
    try {
      response = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build()
          .send(request.build(), HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      throw new IOException("head-end " + headend + " not reachable: " + e.getMessage(), e);
    }
    JsonNode json;
    try {
      json = Json.MAPPER.readTree(response.body());
    } catch (IOException e) {
      throw new IOException("head-end answered HTTP " + response.statusCode() + " without JSON");
    }
    if (response.statusCode() / 100 != 2) {
      String error = json != null && json.hasNonNull("error") ? json.get("error").asText() : response.body();
      throw new IOException("HTTP " + response.statusCode() + ": " + error);
    }
    return json;
  }
}
