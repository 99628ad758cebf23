package org.s3mp.testbed;

import java.time.Duration;
import java.util.regex.Pattern;

/** The small subset of Go duration strings ("12ms", "1.5s", "250us") that scionproto configs take. */
final class GoDuration {
  private static final Pattern FORMAT = Pattern.compile("([0-9]+(?:\\.[0-9]+)?)(ns|us|ms|s|m|h)");

  private GoDuration() {}

  static Duration parse(String text) {
    var m = FORMAT.matcher(text.trim());
    if (!m.matches()) {
      throw new IllegalArgumentException("not a duration (e.g. 5ms, 1.5s): " + text);
    }
    double v = Double.parseDouble(m.group(1));
    double nanosPerUnit =
        switch (m.group(2)) {
          case "ns" -> 1;
          case "us" -> 1e3;
          case "ms" -> 1e6;
          case "s" -> 1e9;
          case "m" -> 60e9;
          default -> 3600e9;
        };
    return Duration.ofNanos(Math.round(v * nanosPerUnit));
  }
}
