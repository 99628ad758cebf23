package org.s3mp.testbed;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What the border routers themselves say about their BFD sessions, read from their Prometheus metrics
 * ({@code router_interface_up} for the inter-AS link, {@code router_sibling_reachable} for the other routers of
 * the AS). A router forwards over a link only while both are up, and answers with SCMP "interface down" before:
 * paths existing in the daemon does not mean packets get through.
 */
final class RouterHealth {
  private static final Pattern GAUGE =
      Pattern.compile("^(router_interface_up|router_sibling_reachable)\\{([^}]*)\\}\\s+(\\S+)", Pattern.MULTILINE);
  private static final Pattern SIBLING = Pattern.compile("sibling=\"([^\"]*)\"");
  /** scionproto router/metrics.go: packets the data plane discarded as invalid (bad MAC, EPIC HVF, ...). */
  private static final Pattern DROPPED_INVALID = Pattern.compile(
      "^router_dropped_pkts_total\\{[^}]*reason=\"invalid\"[^}]*\\}\\s+(\\S+)", Pattern.MULTILINE);

  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();

  /** One router's view: whether its link's BFD session is up, and which siblings it cannot reach. */
  record State(boolean linkUp, List<String> unreachableSiblings, String error) {
    static State unknown(String why) {
      return new State(false, List.of(), why);
    }
  }

  State state(String metricsAddress) {
    try {
      HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://" + metricsAddress + "/metrics"))
          .timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.ofString());
      return parse(r.body());
    } catch (IOException e) {
      return State.unknown("metrics not readable (" + e.getMessage() + ")");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return State.unknown("interrupted");
    }
  }

  /** The router's count of packets dropped as invalid, over all its label sets. */
  long droppedInvalid(String metricsAddress) throws IOException {
    try {
      HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://" + metricsAddress + "/metrics"))
          .timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.ofString());
      return parseDroppedInvalid(r.body());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted reading " + metricsAddress, e);
    }
  }

  static long parseDroppedInvalid(String metrics) {
    long sum = 0;
    Matcher m = DROPPED_INVALID.matcher(metrics);
    while (m.find()) {
      sum += (long) Double.parseDouble(m.group(1));
    }
    return sum;
  }

  static State parse(String metrics) {
    List<String> siblings = new ArrayList<>();
    Boolean link = null;
    Matcher m = GAUGE.matcher(metrics);
    while (m.find()) {
      boolean up = Double.parseDouble(m.group(3)) >= 1;
      if (m.group(1).equals("router_interface_up")) {
        link = up;
      } else if (!up) {
        Matcher s = SIBLING.matcher(m.group(2));
        siblings.add(s.find() ? s.group(1) : m.group(2));
      }
    }
    return link == null ? State.unknown("no BFD state yet") : new State(link, siblings, null);
  }
}
