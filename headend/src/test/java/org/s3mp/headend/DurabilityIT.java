package org.s3mp.headend;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.s3mp.dlms.client.ClientSecurity;
import org.s3mp.dlms.client.MeterClient;
import org.s3mp.dlms.client.ProfileEntry;
import org.s3mp.dlms.security.KeysFile;
import org.s3mp.headend.auth.TokenStore;

/**
 * kill -9 of the head-end process during continuous reading, then a restart on the same database: every
 * reading it had acknowledged is still there, none twice, continuous reading resumes, and the load-profile
 * intervals the meter captured while the head-end was down are backfilled.
 */
class DurabilityIT {

  static final String TOKEN = "operator-token-of-the-durability-test-01";

  @TempDir Path dir;
  @RegisterExtension final Running running = new Running();

  @Test
  void killDashNineLosesNothingAndBackfillsTheProfile() throws Exception {
    Path keys = RealMeters.keys(dir, "m1");
    RealMeters.Meter meter = RealMeters.start(dir, "m1", keys, 2, 11);
    running.add(meter);
    Path config = dir.resolve("headend.yaml");
    Files.writeString(config, """
        http:
          bind: 127.0.0.1:0
        keysDirectory: .
        database:
          url: db/headend
        polling:
          timeoutMillis: 3000
          profileIntervalSeconds: 2
          profileBackfillHours: 1
        tokens:
          - name: durability
            role: operator
            sha256: %s
        meters:
          - id: m1
            url: %s
            keysFile: m1.keys
            pollSeconds: 0
            profile: true
        """.formatted(TokenStore.sha256(TOKEN), meter.url()));

    // 1. continuous reading, with a live client collecting what the head-end acknowledges
    ChildProcess headend = startHeadend(config, "headend-1");
    Http http = new Http(HeadendProcessMain.baseUri(headend));
    assertThat(http.post("/api/meters/m1/continuous", TOKEN, "{\"enabled\":true}").status()).isEqualTo(200);
    List<String> acknowledged = new ArrayList<>();
    try (LiveStream live = new LiveStream(http.client(), http.base(), "m1", TOKEN)) {
      Conditions.await("5 live readings", Duration.ofSeconds(30), () -> live.readings().size() >= 5);
      Conditions.await("a stored profile interval", Duration.ofSeconds(30),
          () -> http.get("/api/meters/m1/profile", TOKEN).json().size() >= 1);
      headend.kill();
      for (JsonNode r : live.readings()) {
        acknowledged.add(r.get("readAt").asText());
      }
    }
    assertThat(headend.alive()).isFalse();
    Instant killedAt = Instant.now();

    // 2. the meter goes on capturing intervals while the head-end is down
    List<ProfileEntry> capturedDuringOutage = new ArrayList<>();
    Conditions.await("2 intervals captured by the meter during the outage", Duration.ofSeconds(30), () -> {
      capturedDuringOutage.clear();
      capturedDuringOutage.addAll(meterProfile(meter.url(), keys, killedAt.minusSeconds(3600), Instant.now()).stream()
          .filter(e -> e.time().isAfter(killedAt)).toList());
      return capturedDuringOutage.size() >= 2;
    });
    List<ProfileEntry> meterProfile = meterProfile(meter.url(), keys, killedAt.minusSeconds(3600), Instant.now());
    Instant lastCaptured = meterProfile.get(meterProfile.size() - 1).time();

    // 3. restart on the same database: continuous reading resumes, the gap is backfilled
    ChildProcess restarted = startHeadend(config, "headend-2");
    Http http2 = new Http(HeadendProcessMain.baseUri(restarted));
    assertThat(http2.get("/api/meters/m1", TOKEN).json().get("continuous").asBoolean()).isTrue();
    Conditions.await("readings after the restart", Duration.ofSeconds(30),
        () -> readings(http2).stream().filter(t -> Instant.parse(t).isAfter(killedAt)).count() >= 3);
    Conditions.await("profile backfilled up to " + lastCaptured, Duration.ofSeconds(30),
        () -> profileTimes(http2).contains(lastCaptured.toString()));

    List<String> stored = readings(http2);
    assertThat(new HashSet<>(stored)).as("no reading stored twice").hasSize(stored.size());
    assertThat(stored).as("every acknowledged reading survived kill -9").containsAll(acknowledged);
    assertThat(acknowledged).hasSizeGreaterThanOrEqualTo(5);

    List<String> profile = profileTimes(http2);
    assertThat(new HashSet<>(profile)).as("no interval stored twice").hasSize(profile.size());
    Set<String> expected = new TreeSet<>();
    for (ProfileEntry e : meterProfile) {
      expected.add(e.time().toString());
    }
    assertThat(profile).as("every interval the meter captured, including the outage").containsAll(expected);
  }

  private ChildProcess startHeadend(Path config, String name) throws Exception {
    ChildProcess p = HeadendProcessMain.start(dir, config, name);
    running.add(p);
    return p;
  }

  private static List<String> readings(Http http) {
    List<String> times = new ArrayList<>();
    http.get("/api/meters/m1/readings?limit=100000", TOKEN).json().forEach(r -> times.add(r.get("readAt").asText()));
    return times;
  }

  private static List<String> profileTimes(Http http) {
    List<String> times = new ArrayList<>();
    http.get("/api/meters/m1/profile", TOKEN).json().forEach(e -> times.add(e.get("capturedAt").asText()));
    return times;
  }

  private static List<ProfileEntry> meterProfile(String url, Path keys, Instant from, Instant to) {
    try (MeterClient client = MeterClient.open(url, ClientSecurity.management(KeysFile.load(keys)))) {
      return client.readLoadProfile(from, to);
    } catch (Exception e) {
      throw new AssertionError("reading the meter's profile directly: " + e, e);
    }
  }
}
