package org.s3mp.headend.polling;

import java.time.Duration;
import java.time.Instant;
import java.util.Locale;
import org.s3mp.headend.fleet.MeterSpec;
import org.s3mp.headend.fleet.NetworkPath;

/**
 * A meter as the dashboard lists it: its settings and what the head-end currently knows about it.
 *
 * @param transport the URL scheme (tcp, scion)
 * @param path the network path of the last reading, when the client reports one
 * @param clockDriftSeconds meter clock minus head-end clock at the last clock check (null before the first)
 */
public record MeterStatus(
    MeterSpec spec, String transport, boolean connected, boolean continuous, String relay,
    Instant lastReadingAt, String lastError, NetworkPath path, Double clockDriftSeconds, Instant clockCheckedAt) {

  /** Slack on top of two poll intervals before a meter counts as late (a loaded head-end or a slow path). */
  static final Duration LATE_SLACK = Duration.ofSeconds(5);

  /** What an operator of a fleet sorts meters by: is it read, and if not, why not. */
  public enum State {
    /** Read within its schedule (or not polled periodically, so it cannot be late). */
    ON_TIME,
    /** Not read yet and no error either: its first association is under way. */
    WAITING,
    /** Polled periodically but not read for more than two intervals, without an error to show for it. */
    LATE,
    /** The last attempt failed (unreachable, timeout, protocol error). */
    FAILING,
    /** Read, and its relay is open: the customer has no power. */
    DISCONNECTED,
    /** The meter refused the association (wrong keys, untrusted head-end). */
    REFUSED;

    /** The name used in the API and in query parameters, e.g. {@code on_time}. */
    public String apiName() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  /** The state at {@code now}; errors come first, as they are what an operator has to act on. */
  public State state(Instant now) {
    if (lastError != null) {
      // the DLMS client's wording for a refused association (not a TCP "connection refused")
      return lastError.contains("refused the association") ? State.REFUSED : State.FAILING;
    }
    if ("disconnected".equals(relay)) {
      return State.DISCONNECTED;
    }
    if (lastReadingAt == null) {
      return State.WAITING;
    }
    int poll = spec.pollSeconds();
    if (poll > 0 && lastReadingAt.isBefore(now.minus(Duration.ofSeconds(2L * poll)).minus(LATE_SLACK))) {
      return State.LATE;
    }
    return State.ON_TIME;
  }
}
