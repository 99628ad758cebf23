package org.s3mp.headend;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.s3mp.headend.auth.Role;
import org.s3mp.headend.fleet.MeterInput;
import org.s3mp.headend.fleet.NetworkPath;

/**
 * The structured path of a reading through storage and API, the path history with its failovers and the
 * geofence check, the topology and the OBIS table, against a fake SCION meter whose paths the test sets.
 */
class PathApiTest {

  static final String VIEWER = "viewer-secret-for-the-path-api-test-00";

  /** Head-end 112 to concentrator 111 via core 110 (the "LTE" uplink) or via 120 (the leased line). */
  static final NetworkPath VIA_110 = path(hop("1-ff00:0:112", null, 3L, "CH", null, 2.0),
      hop("1-ff00:0:110", 3L, 1L, "CH", 0.5, 10.0), hop("1-ff00:0:111", 1L, null, "CH", null, null));
  static final NetworkPath VIA_120 = path(hop("1-ff00:0:112", null, 2L, "CH", null, 2.0),
      hop("1-ff00:0:120", 2L, 1L, "CH", 0.5, 5.0), hop("1-ff00:0:111", 2L, null, "CH", null, null));
  /** Through the ISD 2 core in Germany: outside an ISD-1/CH fence. */
  static final NetworkPath VIA_210 = path(hop("1-ff00:0:112", null, 4L, "CH", null, 1.0),
      hop("2-ff00:0:210", 1L, 2L, "DE", 1.0, 1.0), hop("1-ff00:0:111", 3L, null, "CH", null, null));

  @RegisterExtension static final ApiTestHeadend api = new ApiTestHeadend();
  @TempDir static Path dir;
  static FakeMeters meters = api.meters;
  static Headend headend;
  static Http http;

  @BeforeAll
  static void start() throws Exception {
    Files.writeString(dir.resolve("p1.keys"), org.s3mp.dlms.security.KeysFile.generate(
        new byte[] {1, 2, 3, 4, 5, 6, 7, 8}, new byte[] {8, 7, 6, 5, 4, 3, 2, 1}).format());
    Files.writeString(dir.resolve("fence.json"),
        "{\"name\": \"isd1-ch\", \"allowed_isds\": [1], \"allowed_countries\": [\"CH\"]}");
    HeadendConfig config = ApiTestHeadend.config(dir, ApiTestHeadend.anyPort(),
        List.of(ApiTestHeadend.token("vera", Role.VIEWER, VIEWER)),
        List.of(new MeterInput("p1", "scion://1-ff00:0:111,[127.0.111.1]:4059", dir.resolve("p1.keys").toString(),
            dir.resolve("fence.json").toString(), false, 0, false)),
        dir, null);
    headend = api.start(config);
    http = api.http();
  }

  @Test
  void pathsAreStoredAndServedStructuredWithTheirHistoryGeofenceAndTopology() {
    String from = java.time.Instant.now().minusSeconds(5).toString();
    List<NetworkPath> taken = List.of(VIA_110, VIA_110, VIA_110, VIA_120, VIA_120, VIA_110);
    for (int i = 0; i < taken.size(); i++) {
      meters.meter("p1").path = taken.get(i);
      if (i == 3) { // the transport says why it left the first path; the way back has no reason of its own
        meters.meter("p1").pathChange.set("SCMP interface down (1-ff00:0:111#1)");
      }
      assertThat(http.post("/api/meters/p1/read", VIEWER, null).status()).isEqualTo(200);
    }

    // every reading carries its path as a structure, read back from the database
    JsonNode readings = http.get("/api/meters/p1/readings", VIEWER).json();
    assertThat(readings).hasSize(6);
    JsonNode fourth = readings.get(3).get("path");
    assertThat(fourth.get("notation").asText()).isEqualTo("[1-ff00:0:112 2>2 1-ff00:0:120 1>2 1-ff00:0:111]");
    assertThat(fourth.get("hops")).hasSize(3);
    assertThat(fourth.get("hops").get(1).get("isdAs").asText()).isEqualTo("1-ff00:0:120");
    assertThat(fourth.get("hops").get(1).get("ingress").asLong()).isEqualTo(2);
    assertThat(fourth.get("hops").get(1).get("egress").asLong()).isEqualTo(1);
    assertThat(fourth.get("hops").get(0).get("ingress").isNull()).isTrue();
    assertThat(fourth.get("hops").get(1).get("country").asText()).isEqualTo("CH");
    assertThat(fourth.get("isds").toString()).isEqualTo("[1]");
    assertThat(fourth.get("countries").toString()).isEqualTo("[\"CH\"]");
    assertThat(fourth.get("latencyMs").asDouble()).isEqualTo(7.5);
    // the meter's current path is the last reading's
    assertThat(http.get("/api/meters/p1", VIEWER).json().get("path").get("hops").get(1).get("isdAs").asText())
        .isEqualTo("1-ff00:0:110");

    JsonNode history = http.get("/api/meters/p1/paths?from=" + from, VIEWER).json();
    assertThat(history.get("readings").asLong()).isEqualTo(6);
    assertThat(history.get("paths")).hasSize(2);
    assertThat(history.get("paths").get(0).get("path").get("notation").asText()).contains("1-ff00:0:110");
    assertThat(history.get("paths").get(0).get("readings").asLong()).isEqualTo(4);
    assertThat(history.get("paths").get(0).get("share").asDouble()).isCloseTo(4 / 6.0, org.assertj.core.data.Offset.offset(1e-9));
    assertThat(history.get("paths").get(1).get("share").asDouble()).isCloseTo(2 / 6.0, org.assertj.core.data.Offset.offset(1e-9));
    JsonNode failovers = history.get("failovers");
    assertThat(failovers).hasSize(2);
    assertThat(failovers.get(0).get("from").asText()).contains("1-ff00:0:110");
    assertThat(failovers.get(0).get("to").asText()).contains("1-ff00:0:120");
    assertThat(failovers.get(0).get("at").asText()).isEqualTo(readings.get(3).get("readAt").asText());
    assertThat(failovers.get(1).get("at").asText()).isEqualTo(readings.get(5).get("readAt").asText());
    assertThat(failovers.get(0).get("reason").asText()).isEqualTo("SCMP interface down (1-ff00:0:111#1)");
    assertThat(failovers.get(1).get("reason").asText()).isEqualTo("policy");
    assertThat(history.get("geofence").get("policy").asText()).isEqualTo("isd1-ch");
    assertThat(history.get("geofence").get("isds").toString()).isEqualTo("[1]");
    assertThat(history.get("geofence").get("countries").toString()).isEqualTo("[\"CH\"]");
    assertThat(history.get("outsideGeofence").get("readings").asLong()).isZero();
    assertThat(history.get("outsideGeofence").get("checkedReadings").asLong()).isEqualTo(6);

    // a reading whose path left the fence is counted, from the stored path
    meters.meter("p1").path = VIA_210;
    assertThat(http.post("/api/meters/p1/read", VIEWER, null).status()).isEqualTo(200);
    JsonNode after = http.get("/api/meters/p1/paths?from=" + from, VIEWER).json();
    assertThat(after.get("outsideGeofence").get("readings").asLong()).isEqualTo(1);
    assertThat(after.get("outsideGeofence").get("paths").get(0).get("reasons").toString())
        .contains("ISD 2 not in [1]", "country DE not in [CH]");

    JsonNode topology = http.get("/api/topology", VIEWER).json();
    List<String> ases = new ArrayList<>();
    topology.get("isds").forEach(isd -> isd.get("ases").forEach(a -> ases.add(isd.get("isd").asInt() + ":"
        + a.get("isdAs").asText() + ":" + a.get("countries").toString())));
    assertThat(ases).containsExactly("1:1-ff00:0:110:[\"CH\"]", "1:1-ff00:0:111:[\"CH\"]", "1:1-ff00:0:112:[\"CH\"]",
        "1:1-ff00:0:120:[\"CH\"]", "2:2-ff00:0:210:[\"DE\"]");
    List<String> links = new ArrayList<>();
    topology.get("links").forEach(l -> links.add(l.get("a").asText() + "#" + l.get("aInterface").asLong() + "-"
        + l.get("b").asText() + "#" + l.get("bInterface").asLong()));
    assertThat(links).containsExactlyInAnyOrder("1-ff00:0:110#3-1-ff00:0:112#3", "1-ff00:0:110#1-1-ff00:0:111#1",
        "1-ff00:0:112#2-1-ff00:0:120#2", "1-ff00:0:111#2-1-ff00:0:120#1", "1-ff00:0:112#4-2-ff00:0:210#1",
        "1-ff00:0:111#3-2-ff00:0:210#2");
    assertThat(topology.get("paths").asInt()).isEqualTo(3);

    OpenApiSchema schema = new OpenApiSchema(http.get("/api/openapi.json", VIEWER).json());
    for (String[] c : new String[][] {{"/api/meters/{id}/paths", "/api/meters/p1/paths?from=" + from},
        {"/api/topology", "/api/topology"}, {"/api/obis", "/api/obis"}, {"/api/meters/{id}", "/api/meters/p1"},
        {"/api/meters/{id}/readings", "/api/meters/p1/readings"}}) {
      Http.Response r = http.get(c[1], VIEWER);
      assertThat(schema.check("GET", c[0], r.status(), r.json())).as(c[1] + " " + r.body()).isEmpty();
    }
  }

  @Test
  void theObisTableIsServed() {
    JsonNode obis = http.get("/api/obis", VIEWER).json();
    assertThat(obis).anySatisfy(r -> {
      assertThat(r.get("obis").asText()).isEqualTo("1.0.1.7.0.255");
      assertThat(r.get("name").asText()).isEqualTo("active power import");
      assertThat(r.get("unit").asText()).isEqualTo("W");
      assertThat(r.get("scaler").asInt()).isEqualTo(-1);
    });
    assertThat(obis).hasSize(org.s3mp.dlms.MeterObjects.REGISTERS.size());
    assertThat(http.get("/api/obis", null).status()).isEqualTo(401);
  }

  @Test
  void aRangeWithoutReadingsHasNoPathsAndBadRangesAre400() {
    JsonNode empty = http.get("/api/meters/p1/paths?from=2020-01-01T00:00:00Z&to=2020-01-02T00:00:00Z", VIEWER)
        .json();
    assertThat(empty.get("readings").asLong()).isZero();
    assertThat(empty.get("paths")).isEmpty();
    assertThat(empty.get("outsideGeofence").get("readings").asLong()).isZero();
    assertThat(http.get("/api/meters/p1/paths?from=yesterday", VIEWER).status()).isEqualTo(400);
    // history of a meter no longer in the fleet: paths without a geofence
    assertThat(http.get("/api/meters/gone/paths", VIEWER).json().get("geofence").isNull()).isTrue();
  }

  static NetworkPath path(NetworkPath.Hop... hops) {
    double sum = 0;
    for (int i = 0; i < hops.length; i++) {
      if (i > 0 && i < hops.length - 1) {
        sum += hops[i].internalLatencyMs();
      }
      if (i < hops.length - 1) {
        sum += hops[i].linkLatencyMs();
      }
    }
    return new NetworkPath(List.of(hops), sum);
  }

  static NetworkPath.Hop hop(String ia, Long in, Long out, String country, Double internal, Double link) {
    return new NetworkPath.Hop(ia, Integer.parseInt(ia.substring(0, ia.indexOf('-'))), in, out, country, internal,
        link);
  }
}
