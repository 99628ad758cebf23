package org.s3mp.headend;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.s3mp.headend.auth.TokenStore;
import org.s3mp.headend.fleet.MeterInput;
import org.s3mp.headend.polling.DlmsMeterConnector;
import org.s3mp.testbed.Testbed;

/**
 * The clock check of {@link ClockCheckIT} over native SCION on the testbed: a meter process in the concentrator AS
 * two minutes ahead, the head-end in its own AS finds the drift, sets the clock (audited as the system) and reads
 * the corrected drift back over the same SCION association.
 */
class ScionClockCheckIT {

  static final String VIEWER = "viewer-token-of-the-scion-clock-check-it";

  @TempDir Path dir;
  RealMeters.Meter meter;
  Headend headend;

  @AfterEach
  void stop() {
    try {
      if (headend != null) {
        headend.close();
      }
    } finally {
      if (meter != null) {
        meter.close();
      }
    }
  }

  @Test
  void aScionMeterTwoMinutesAheadIsSetByTheHeadend() throws Exception {
    Testbed tb = Testbed.shared();
    Path keys = RealMeters.keys(dir, "s1");
    String ip = tb.hostAddress(tb.concentrator()).getHostAddress();
    meter = RealMeters.start(dir, "s1", keys, 900, 7, List.of("--listen",
        "scion://" + tb.concentrator() + ",[" + ip + "]:0", "--daemon", daemon(tb, tb.concentrator()),
        "--clock-offset", "120"));
    assertThat(meter.url()).startsWith("scion://" + tb.concentrator() + ",");
    HeadendConfig config = new HeadendConfig(
        new HeadendConfig.Http("127.0.0.1:0", null),
        new HeadendConfig.Database(dir.resolve("db/headend").toString(), null, null),
        new HeadendConfig.Polling(1, 5000, 900, 1),
        List.of(new HeadendConfig.Token("vera", "viewer", TokenStore.sha256(VIEWER))),
        // not polled: the first clock check (every 2 s) opens the association
        List.of(new MeterInput("s1", meter.url(), keys.toString(), null, false, 0, false)))
        .withKeysDirectory(dir.toString())
        .withClock(new HeadendConfig.Clock(2, 10.0, true));
    headend = Headend.start(config, new DlmsMeterConnector(daemon(tb, tb.headEnd())));
    Http http = new Http(headend.baseUri());

    Conditions.await("a clock-set audited as the system", Duration.ofSeconds(60),
        () -> ClockCheckIT.systemClockSet(http, VIEWER) != null);
    JsonNode set = ClockCheckIT.systemClockSet(http, VIEWER);
    assertThat(set.get("result").asText()).as(set.toString()).isEqualTo("ok");
    double before = Double.parseDouble(set.get("argument").asText().replaceAll("drift ([-+0-9.]+) s", "$1"));
    assertThat(before).as("the drift found: the meter's --clock-offset").isBetween(115.0, 125.0);

    Conditions.await("the drift read back within 10 s", Duration.ofSeconds(30), () -> {
      JsonNode m = http.get("/api/meters/s1", VIEWER).json();
      return !m.get("clockDriftSeconds").isNull() && Math.abs(m.get("clockDriftSeconds").asDouble()) < 10;
    });
    Http.Response now = http.get("/api/meters/s1/clock", VIEWER);
    assertThat(now.status()).as(now.body()).isEqualTo(200);
    assertThat(Math.abs(now.json().get("driftSeconds").asDouble())).isLessThan(10);
  }

  private static String daemon(Testbed tb, String ia) {
    InetSocketAddress a = tb.daemonAddress(ia);
    return a.getAddress().getHostAddress() + ":" + a.getPort();
  }
}
