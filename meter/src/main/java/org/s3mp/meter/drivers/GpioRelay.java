package org.s3mp.meter.drivers;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The load relay on a Linux GPIO line, through the sysfs GPIO interface ({@code /sys/class/gpio}, as on a
 * Raspberry Pi): the line is exported if needed, set to output and driven high for "connected" (low with
 * {@code activeLow}). The written level is read back, so a line that does not follow is an error, not a silent
 * relay in the wrong state.
 */
public final class GpioRelay implements Relay {
  private static final Logger log = LoggerFactory.getLogger(GpioRelay.class);
  /** How long to wait for udev to create the line's files after an export. */
  private static final Duration EXPORT_TIMEOUT = Duration.ofSeconds(2);

  private final Path line;
  private final boolean activeLow;

  private GpioRelay(Path line, boolean activeLow) {
    this.line = line;
    this.activeLow = activeLow;
  }

  /** Opens GPIO line {@code number} under {@code gpioRoot} (normally /sys/class/gpio). */
  public static GpioRelay open(Path gpioRoot, int number, boolean activeLow) throws IOException {
    if (number < 0) {
      throw new IllegalArgumentException("GPIO line must be 0 or more: " + number);
    }
    Path line = gpioRoot.resolve("gpio" + number);
    if (!Files.isDirectory(line)) {
      if (!Files.isWritable(gpioRoot.resolve("export"))) {
        throw new IOException("no GPIO interface at " + gpioRoot + " (is this a board with GPIO, and may we write it?)");
      }
      Files.writeString(gpioRoot.resolve("export"), Integer.toString(number));
      long deadline = System.nanoTime() + EXPORT_TIMEOUT.toNanos();
      while (!Files.isWritable(line.resolve("direction"))) {
        if (System.nanoTime() > deadline) {
          throw new IOException("GPIO line " + number + " did not appear after export under " + gpioRoot);
        }
        try {
          Thread.sleep(5); // udev takes milliseconds; do not spin the CPU it needs
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new IOException("interrupted waiting for GPIO line " + number, e);
        }
      }
    }
    Files.writeString(line.resolve("direction"), "out");
    log.info("relay on GPIO line {} ({})", number, activeLow ? "active low" : "active high");
    return new GpioRelay(line, activeLow);
  }

  @Override
  public void set(boolean connected) throws IOException {
    String level = connected != activeLow ? "1" : "0";
    Files.writeString(line.resolve("value"), level);
    String read = Files.readString(line.resolve("value")).strip();
    if (!read.equals(level)) {
      throw new IOException("GPIO " + line.getFileName() + " reads " + read + " after writing " + level);
    }
    log.info("relay {}", connected ? "closed: load connected" : "open: load disconnected");
  }
}
