package org.s3mp.headend;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/** A test client of {@code GET /api/meters/{id}/live}: collects every {@code reading} event. */
public final class LiveStream implements AutoCloseable {

  private final List<JsonNode> readings = new CopyOnWriteArrayList<>();
  private volatile boolean subscribed;
  private final HttpResponse<Stream<String>> response;

  public LiveStream(HttpClient client, java.net.URI base, String meterId, String token) throws Exception {
    HttpRequest req = HttpRequest.newBuilder(base.resolve("/api/meters/" + meterId + "/live"))
        .header("Authorization", "Bearer " + token).header("Accept", "text/event-stream").build();
    response = client.sendAsync(req, HttpResponse.BodyHandlers.ofLines()).get(10, TimeUnit.SECONDS);
    if (response.statusCode() != 200) {
      throw new AssertionError("live stream: HTTP " + response.statusCode());
    }
    Thread reader = new Thread(() -> {
      String event = null;
      try {
        for (var it = response.body().iterator(); it.hasNext(); ) {
          String line = it.next();
          if (line.startsWith("event:")) {
            event = line.substring(6).trim();
            subscribed |= event.equals("subscribed");
          } else if (line.startsWith("data:") && "reading".equals(event)) {
            readings.add(Http.JSON.readTree(line.substring(5)));
          }
        }
      } catch (IOException | RuntimeException e) {
        // stream closed (test done or server killed)
      }
    }, "live-stream-" + meterId);
    reader.setDaemon(true);
    reader.start();
    Conditions.await("live stream subscribed", Duration.ofSeconds(10), () -> subscribed);
  }

  /** The readings received so far: each was committed to the database before it was sent. */
  public List<JsonNode> readings() {
    return List.copyOf(readings);
  }

  @Override
  public void close() {
    response.body().close();
  }
}
