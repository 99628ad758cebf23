package org.s3mp.meter.drivers;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The simulated display: logs what it shows (default where no hardware is configured). */
public final class LoggingDisplay implements Display {
  private static final Logger log = LoggerFactory.getLogger(LoggingDisplay.class);
  private volatile String text = "";

  @Override
  public void show(String text) {
    this.text = text;
    log.info("display: \"{}\"", text);
  }

  public String text() {
    return text;
  }
}
