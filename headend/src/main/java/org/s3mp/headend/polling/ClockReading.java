package org.s3mp.headend.polling;

import java.io.IOException;
import java.time.Duration;
import java.time.Instant;

/**
 * One reading of a meter's clock against the head-end's: {@code headendTime} is the head-end's clock half-way
 * through the GET's round trip, so the network delay does not count as drift.
 */
public record ClockReading(Instant meterTime, Instant headendTime, Duration roundTrip) {

  /** How the meter's time is read (a GET of its clock). */
  @FunctionalInterface
  public interface MeterTime {
    Instant read() throws IOException;
  }

  /** Reads the meter's clock once and notes the head-end's time around it. */
  public static ClockReading measure(MeterTime meter) throws IOException {
    Instant sent = Instant.now();
    long start = System.nanoTime();
    Instant meterTime = meter.read();
    Duration roundTrip = Duration.ofNanos(System.nanoTime() - start);
    return new ClockReading(meterTime, sent.plus(roundTrip.dividedBy(2)), roundTrip);
  }

  /** Meter clock minus head-end clock: positive when the meter is ahead. */
  public double driftSeconds() {
    return Duration.between(headendTime, meterTime).toNanos() / 1e9;
  }

  /** The head-end's time now plus the one-way delay of a request, for a SET that should arrive on time. */
  public Instant targetForSet() {
    return Instant.now().plus(roundTrip.dividedBy(2));
  }
}
