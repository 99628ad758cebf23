package org.s3mp.meter.drivers;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The simulated relay: logs each switch (default where no hardware is configured). */
public final class LoggingRelay implements Relay {
  private static final Logger log = LoggerFactory.getLogger(LoggingRelay.class);
  private volatile Boolean state;

  @Override
  public void set(boolean connected) {
    state = connected;
    log.info("relay {}", connected ? "closed: load connected" : "open: load disconnected");
  }

  /** The last state switched to, or null before the first switch. */
  public Boolean state() {
    return state;
  }
}
