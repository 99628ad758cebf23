package org.s3mp.dlms.server;

import java.util.Objects;
import org.s3mp.dlms.transport.MeterUrl;
import org.s3mp.dlms.transport.Transports;

/**
 * Where and how often the meter pushes (the send_destination of its push setups, and the registers' period).
 *
 * @param registersDestination push listener URL for the instantaneous registers, empty for none
 * @param periodSeconds seconds between two register pushes, 0 for none
 * @param eventsDestination push listener URL for events, empty for none
 */
public record PushSettings(String registersDestination, long periodSeconds, String eventsDestination) {
  /** Longest period accepted (a day). */
  public static final long MAX_PERIOD = 86_400;
  public static final PushSettings NONE = new PushSettings("", 0, "");

  public PushSettings {
    registersDestination = Objects.requireNonNullElse(registersDestination, "").strip();
    eventsDestination = Objects.requireNonNullElse(eventsDestination, "").strip();
    if (periodSeconds < 0 || periodSeconds > MAX_PERIOD) {
      throw new IllegalArgumentException("push period must be 0 (none) to " + MAX_PERIOD + " s, got " + periodSeconds);
    }
    checkDestination(registersDestination);
    checkDestination(eventsDestination);
  }

  /** Checks a destination: empty, or a URL of a transport on the class path (e.g. tcp://127.0.0.1:4065). */
  public static void checkDestination(String url) {
    if (url == null || url.isEmpty()) {
      return;
    }
    MeterUrl u = MeterUrl.parse(url);
    Transports.forUrl(u).checkUrl(u);
  }

  public PushSettings withRegistersDestination(String url) {
    return new PushSettings(url, periodSeconds, eventsDestination);
  }

  public PushSettings withPeriod(long seconds) {
    return new PushSettings(registersDestination, seconds, eventsDestination);
  }

  public PushSettings withEventsDestination(String url) {
    return new PushSettings(registersDestination, periodSeconds, url);
  }
}
