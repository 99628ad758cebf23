package org.s3mp.headend.live;

import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.s3mp.headend.fleet.Reading;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Pushes each stored reading to the live subscribers of its meter. Sending happens on its own thread, so a
 * slow browser never holds up the database writer.
 */
public final class LiveFeed implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(LiveFeed.class);

  /** One live client (a Server-Sent Events stream). */
  public interface Subscriber {
    void send(String event, String data) throws Exception;
  }

  private final Function<Object, String> toJson;
  private final Map<String, Set<Subscriber>> byMeter = new ConcurrentHashMap<>();
  private final ExecutorService sender = Executors.newSingleThreadExecutor(r -> {
    Thread t = new Thread(r, "live-feed");
    t.setDaemon(true);
    return t;
  });

  public LiveFeed(Function<Object, String> toJson) {
    this.toJson = toJson;
  }

  /** Registers a subscriber; run the returned action when it goes away. */
  public Runnable subscribe(String meterId, Subscriber subscriber) {
    byMeter.computeIfAbsent(meterId, id -> ConcurrentHashMap.newKeySet()).add(subscriber);
    return () -> unsubscribe(meterId, subscriber);
  }

  public int subscribers() {
    return byMeter.values().stream().mapToInt(Set::size).sum();
  }

  public void publish(Reading reading) {
    Set<Subscriber> subscribers = byMeter.get(reading.meterId());
    if (subscribers == null || subscribers.isEmpty()) {
      return;
    }
    sender.execute(() -> {
      String data = toJson.apply(reading);
      for (Subscriber s : subscribers) {
        try {
          s.send("reading", data);
        } catch (Exception e) {
          log.debug("live subscriber of {} dropped: {}", reading.meterId(), e.toString());
          unsubscribe(reading.meterId(), s);
        }
      }
    });
  }

  private void unsubscribe(String meterId, Subscriber subscriber) {
    Set<Subscriber> set = byMeter.get(meterId);
    if (set != null) {
      set.remove(subscriber);
    }
  }

  @Override
  public void close() {
    sender.shutdownNow();
    try {
      sender.awaitTermination(2, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
