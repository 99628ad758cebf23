package org.s3mp.headend.api;

import java.time.Instant;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;
import org.s3mp.headend.polling.MeterStatus;
import org.s3mp.headend.polling.MeterStatus.State;

/**
 * One page of the fleet for {@code GET /api/fleet}: meters filtered by id text, state and transport, sorted and
 * paged on the server (a fleet of 10,000 meters is never sent whole), with the count of every state over the
 * whole fleet and over the filtered meters.
 */
final class FleetPage {
  static final int MAX_SIZE = 500;

  /** The query; every field already checked. */
  record Query(String text, State state, String transport, String sort, boolean descending, int page, int size) {
    static Query parse(Function<String, String> param) {
      String text = param.apply("q");
      State state = null;
      String s = param.apply("state");
      if (s != null && !s.isEmpty()) {
        try {
          state = State.valueOf(s.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
          throw new IllegalArgumentException("state: one of " + names() + ", got " + s);
        }
      }
      String transport = param.apply("transport");
      String sort = param.apply("sort");
      if (sort == null || sort.isEmpty()) {
        sort = "id";
      }
      if (!SORTS.containsKey(sort) && !sort.equals("state")) {
        throw new IllegalArgumentException("sort: one of " + String.join(", ", SORTS.keySet()) + ", state, got "
            + sort);
      }
      String order = param.apply("order");
      if (order != null && !order.isEmpty() && !order.equals("asc") && !order.equals("desc")) {
        throw new IllegalArgumentException("order: asc or desc, got " + order);
      }
      return new Query(text == null || text.isBlank() ? null : text.strip().toLowerCase(Locale.ROOT), state,
          transport == null || transport.isEmpty() ? null : transport, sort, "desc".equals(order),
          number(param, "page", 0, 0, Integer.MAX_VALUE), number(param, "size", 50, 1, MAX_SIZE));
    }

    private static int number(Function<String, String> param, String name, int fallback, int min, int max) {
      String text = param.apply(name);
      if (text == null || text.isEmpty()) {
        return fallback;
      }
      try {
        int n = Integer.parseInt(text);
        if (n >= min && n <= max) {
          return n;
        }
      } catch (NumberFormatException e) {
        // reported below
      }
      throw new IllegalArgumentException(name + ": an integer from " + min + " to " + max + ", got " + text);
    }
  }

  private static final Map<String, Comparator<MeterStatus>> SORTS = new LinkedHashMap<>();

  static {
    Comparator<MeterStatus> byId = Comparator.comparing(m -> m.spec().id());
    SORTS.put("id", byId);
    SORTS.put("transport", Comparator.comparing(MeterStatus::transport).thenComparing(byId));
    SORTS.put("lastReadingAt", Comparator.comparing(MeterStatus::lastReadingAt,
        Comparator.nullsFirst(Comparator.naturalOrder())).thenComparing(byId));
  }

  private FleetPage() {}

  static Map<String, Object> of(List<MeterStatus> fleet, Query q, Instant now) {
    Map<String, Object> counts = counts();
    Map<String, Object> matching = counts();
    Comparator<MeterStatus> order = "state".equals(q.sort())
        ? Comparator.<MeterStatus, State>comparing(m -> m.state(now)).thenComparing(m -> m.spec().id())
        : SORTS.get(q.sort());
    List<MeterStatus> selected = fleet.stream().filter(m -> {
      State state = m.state(now);
      counts.merge(state.apiName(), 1, (a, b) -> (Integer) a + (Integer) b);
      boolean match = (q.text() == null || m.spec().id().toLowerCase(Locale.ROOT).contains(q.text()))
          && (q.transport() == null || q.transport().equals(m.transport()));
      if (match) {
        matching.merge(state.apiName(), 1, (a, b) -> (Integer) a + (Integer) b);
      }
      return match && (q.state() == null || q.state() == state);
    }).sorted(q.descending() ? order.reversed() : order).toList();
    int from = (int) Math.min((long) q.page() * q.size(), selected.size());
    int to = Math.min(from + q.size(), selected.size());
    Map<String, Object> json = new LinkedHashMap<>();
    json.put("total", fleet.size());
    json.put("matching", selected.size());
    json.put("page", q.page());
    json.put("size", q.size());
    json.put("pages", (selected.size() + q.size() - 1) / q.size());
    json.put("counts", counts);
    json.put("matchingCounts", matching);
    json.put("items", selected.subList(from, to).stream().map(m -> ApiServer.meterJson(m, now)).toList());
    return json;
  }

  private static Map<String, Object> counts() {
    Map<String, Object> c = new LinkedHashMap<>();
    for (State s : State.values()) {
      c.put(s.apiName(), 0);
    }
    return c;
  }

  private static String names() {
    return String.join(", ", java.util.Arrays.stream(State.values()).map(State::apiName).toList());
  }
}
