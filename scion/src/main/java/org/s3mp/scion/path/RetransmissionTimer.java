package org.s3mp.scion.path;

import java.time.Duration;

/**
 * The retransmission timeout of one path, computed from its measured round trips as TCP does (RFC 6298):
 * smoothed RTT plus four times its variation, never below {@code floor} nor above {@code cap}, doubled after
 * each timeout until the next measurement. Before the first measurement it is {@code initial}.
 */
final class RetransmissionTimer {
  private final long floorNanos;
  private final long capNanos;
  private long srtt = -1;
  private long rttvar;
  private long rto;

  RetransmissionTimer(Duration initial, Duration floor, Duration cap) {
    this.floorNanos = floor.toNanos();
    this.capNanos = cap.toNanos();
    this.rto = clamp(initial.toNanos());
  }

  /** A round trip measured on a request that was sent once (Karn: never on a retransmitted one). */
  void sample(Duration rtt) {
    long r = rtt.toNanos();
    if (srtt < 0) {
      srtt = r;
      rttvar = r / 2;
    } else {
      rttvar = (3 * rttvar + Math.abs(srtt - r)) / 4;
      srtt = (7 * srtt + r) / 8;
    }
    rto = clamp(srtt + 4 * rttvar);
  }

  /** No answer within the timeout: wait twice as long next time. */
  void backOff() {
    rto = clamp(rto * 2);
  }

  Duration timeout() {
    return Duration.ofNanos(rto);
  }

  /** The smoothed round trip, if measured. */
  Duration smoothedRtt() {
    return srtt < 0 ? null : Duration.ofNanos(srtt);
  }

  private long clamp(long nanos) {
    return Math.max(floorNanos, Math.min(capNanos, nanos));
  }
}
