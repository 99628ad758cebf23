package org.s3mp.headend;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.s3mp.headend.auth.TokenStore;
import org.s3mp.headend.fleet.MeterInput;
import org.s3mp.headend.polling.DlmsMeterConnector;

/**
 * 50 real simulated meters (in two meter processes, each meter its own keys, state and TCP port) read every
 * second by one head-end, plus one meter that accepts connections but never answers: it must not hold up the
 * others.
 */
class FleetIT {

  static final String TOKEN = "operator-token-of-the-fleet-test-0000001";
  static final int METERS = 50;

  @TempDir Path dir;
  MeterFleet fleet;
  Headend headend;
  ServerSocket silent;
  final List<Socket> silentConnections = new CopyOnWriteArrayList<>();

  @AfterEach
  void stop() throws Exception {
    if (headend != null) {
      headend.close();
    }
    if (fleet != null) {
      fleet.close();
    }
    if (silent != null) {
      silent.close();
    }
    for (Socket s : silentConnections) {
      s.close();
    }
  }

  @Test
  void fiftyMetersAtOneSecondWithOneSilentMeter() throws Exception {
    fleet = new MeterFleet(dir, METERS, 2, "384m");
    silent = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    Thread acceptor = new Thread(() -> {
      try {
        while (true) {
          silentConnections.add(silent.accept()); // and never answer
        }
      } catch (Exception closed) {
        // test over
      }
    });
    acceptor.setDaemon(true);
    acceptor.start();

    List<MeterInput> meters = new ArrayList<>(fleet.meters());
    assertThat(meters).hasSize(METERS);
    meters.add(new MeterInput("silent", "tcp://127.0.0.1:" + silent.getLocalPort(), meters.get(0).keysFile(), null,
        false, 0, false));
    HeadendConfig config = new HeadendConfig(
        new HeadendConfig.Http("127.0.0.1:0", null),
        new HeadendConfig.Database(dir.resolve("db/headend").toString(), null, null),
        new HeadendConfig.Polling(0, 2000, 900, 1),
        List.of(new HeadendConfig.Token("fleet", "operator", TokenStore.sha256(TOKEN))),
        meters).withKeysDirectory(dir.toString()).withDefaults();
    headend = Headend.start(config, new DlmsMeterConnector());
    Http http = new Http(headend.baseUri());
    for (MeterInput m : meters) {
      assertThat(http.post("/api/meters/" + m.id() + "/continuous", TOKEN, "{\"enabled\":true}").status()).isEqualTo(200);
    }
    Conditions.await("every real meter read at least once", Duration.ofSeconds(120), () -> {
      JsonNode list = http.get("/api/meters", TOKEN).json();
      int read = 0;
      for (JsonNode m : list) {
        read += m.get("lastReadingAt").isNull() ? 0 : 1;
      }
      return read >= METERS;
    });

    Instant from = Instant.now();
    Conditions.await("a 10 s window", Duration.ofSeconds(20), () -> Instant.now().isAfter(from.plusSeconds(10)));
    Instant to = Instant.now();
    Map<String, Integer> counts = new TreeMap<>();
    List<Double> latencies = new ArrayList<>();
    for (MeterInput m : meters) {
      JsonNode readings = http.get("/api/meters/" + m.id() + "/readings?from=" + from + "&to=" + to, TOKEN).json();
      counts.put(m.id(), readings.size());
      readings.forEach(r -> latencies.add(r.get("latencyMs").asDouble()));
    }
    int total = counts.values().stream().mapToInt(Integer::intValue).sum();
    latencies.sort(Double::compare);
    double seconds = Duration.between(from, to).toMillis() / 1000.0;
    System.out.printf("FleetIT: %d meters, %d readings in %.1f s = %.1f reads/s, read p50 %.1f ms, p99 %.1f ms%n",
        METERS, total, seconds, total / seconds, latencies.get(latencies.size() / 2),
        latencies.get((int) (latencies.size() * 0.99)));

    assertThat(counts.get("silent")).isZero();
    JsonNode silentState = http.get("/api/meters/silent", TOKEN).json();
    assertThat(silentState.get("lastError").asText()).isNotBlank();
    assertThat(silentState.get("connected").asBoolean()).isFalse();
    counts.remove("silent");
    // 1 s schedule over a 10 s window: allow for a loaded 2-core machine, but every meter must keep up
    assertThat(counts).allSatisfy((id, n) -> assertThat(n).as(id).isGreaterThanOrEqualTo(6));
  }
}
