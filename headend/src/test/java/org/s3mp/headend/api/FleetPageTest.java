package org.s3mp.headend.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.s3mp.headend.fleet.MeterSpec;
import org.s3mp.headend.polling.MeterStatus;

class FleetPageTest {
  static final Instant NOW = Instant.parse("2026-12-03T12:00:00Z");

  static MeterStatus meter(String id, String transport, Instant lastReading, String error, String relay) {
    String url = transport.equals("tcp") ? "tcp://127.0.0.1:4059" : "scion://1-ff00:0:111,[127.0.0.1]:4059";
    return new MeterStatus(new MeterSpec(id, url, "k", null, false, 10, false), transport, true, false, relay,
        lastReading, error, null, null, null);
  }

  /** 30 tcp meters read just now, 10 scion meters failing, 5 late, 1 refused, 2 disconnected, 2 never read. */
  static List<MeterStatus> fleet() {
    List<MeterStatus> f = new ArrayList<>();
    for (int i = 0; i < 30; i++) {
      f.add(meter(String.format("tcp-%03d", i), "tcp", NOW.minusSeconds(3), null, "connected"));
    }
    for (int i = 0; i < 10; i++) {
      f.add(meter(String.format("sc-%03d", i), "scion", NOW.minusSeconds(60),
          i % 2 == 0 ? "no answer within 5 s" : "cannot connect to tcp://127.0.0.1:1: Connection refused", null));
    }
    for (int i = 0; i < 5; i++) {
      f.add(meter("late-" + i, "tcp", NOW.minusSeconds(26), null, "connected"));
    }
    f.add(meter("refused-0", "scion", null, "meter refused the association of the management client", null));
    f.add(meter("off-0", "tcp", NOW.minusSeconds(1), null, "disconnected"));
    f.add(meter("off-1", "tcp", NOW.minusSeconds(1), null, "disconnected"));
    f.add(meter("new-0", "tcp", null, null, null));
    f.add(meter("new-1", "scion", null, null, null));
    return f;
  }

  static Map<String, Object> page(String... params) {
    Map<String, String> p = new java.util.HashMap<>();
    for (int i = 0; i < params.length; i += 2) {
      p.put(params[i], params[i + 1]);
    }
    return FleetPage.of(fleet(), FleetPage.Query.parse(p::get), NOW);
  }

  @SuppressWarnings("unchecked")
  static List<String> ids(Map<String, Object> page) {
    return ((List<Map<String, Object>>) page.get("items")).stream().map(m -> (String) m.get("id")).toList();
  }

  @Test
  void countsEveryStateOverTheWholeFleet() {
    Map<String, Object> p = page();
    assertThat(p.get("total")).isEqualTo(50);
    assertThat(p.get("counts")).isEqualTo(Map.of("on_time", 30, "waiting", 2, "late", 5, "failing", 10,
        "disconnected", 2, "refused", 1));
  }

  @Test
  void pagesAreSortedByIdAndCoverTheFleetOnce() {
    List<String> all = new ArrayList<>();
    for (int page = 0; page < 3; page++) {
      Map<String, Object> p = page("size", "20", "page", Integer.toString(page));
      assertThat(p.get("pages")).isEqualTo(3);
      all.addAll(ids(p));
    }
    assertThat(all).hasSize(50).doesNotHaveDuplicates().isSorted();
    assertThat(ids(page("size", "20", "page", "3"))).isEmpty();
  }

  @Test
  void filtersByTextStateAndTransport() {
    Map<String, Object> p = page("q", "SC-00", "size", "100");
    assertThat(ids(p)).hasSize(10).allMatch(id -> id.startsWith("sc-00"));
    assertThat(((Map<?, ?>) p.get("matchingCounts")).get("failing")).isEqualTo(10);
    assertThat(ids(page("state", "late"))).containsExactly("late-0", "late-1", "late-2", "late-3", "late-4");
    assertThat(ids(page("state", "refused"))).containsExactly("refused-0");
    Map<String, Object> scionWaiting = page("transport", "scion", "state", "waiting");
    assertThat(ids(scionWaiting)).containsExactly("new-1");
    assertThat(scionWaiting.get("matching")).isEqualTo(1);
    // the overall counts stay those of the whole fleet whatever the filter
    assertThat(((Map<?, ?>) scionWaiting.get("counts")).get("on_time")).isEqualTo(30);
  }

  @Test
  void sortsByStateAndByLastReadingBothWays() {
    List<String> byState = ids(page("sort", "state", "size", "100"));
    assertThat(byState.get(0)).startsWith("tcp-");
    assertThat(byState.get(byState.size() - 1)).isEqualTo("refused-0");
    List<String> newestFirst = ids(page("sort", "lastReadingAt", "order", "desc", "size", "3"));
    assertThat(newestFirst).containsExactly("off-1", "off-0", "tcp-029");
    assertThat(ids(page("sort", "lastReadingAt", "size", "2"))).containsExactly("new-0", "new-1");
  }

  @Test
  void badParametersAreRefusedWithTheirName() {
    assertThatThrownBy(() -> page("state", "sleeping")).hasMessageStartingWith("state: one of on_time");
    assertThatThrownBy(() -> page("size", "0")).hasMessageStartingWith("size: an integer from 1 to 500");
    assertThatThrownBy(() -> page("size", "9999")).hasMessageStartingWith("size:");
    assertThatThrownBy(() -> page("page", "-1")).hasMessageStartingWith("page:");
    assertThatThrownBy(() -> page("page", "x")).hasMessageStartingWith("page:");
    assertThatThrownBy(() -> page("sort", "url")).hasMessageStartingWith("sort: one of id");
    assertThatThrownBy(() -> page("order", "up")).hasMessageStartingWith("order: asc or desc");
  }
}
