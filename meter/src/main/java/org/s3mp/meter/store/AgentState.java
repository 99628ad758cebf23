package org.s3mp.meter.store;

import java.io.IOException;
import java.io.StringReader;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Properties;

/**
 * The agent's small persistent state (relay, consumer message, clock offset and whether it changed since the last capture, push
 * settings, simulated energy register) in a
 * properties file replaced atomically on every change, so a restart or crash never loses a switch.
 */
public final class AgentState {
  private final Path file;
  private final Properties p = new Properties();

  public AgentState(Path file) throws IOException {
    this.file = file;
    if (Files.exists(file)) {
      p.load(new StringReader(Files.readString(file, StandardCharsets.UTF_8)));
    }
  }

  public synchronized boolean relayConnected() {
    return !"false".equals(p.getProperty("relay.connected"));
  }

  public synchronized void relayConnected(boolean connected) {
    p.setProperty("relay.connected", Boolean.toString(connected));
    save();
  }

  public synchronized String message() {
    return p.getProperty("display.message", "");
  }

  public synchronized void message(String text) {
    p.setProperty("display.message", text);
    save();
  }

  public synchronized long clockOffsetMillis() {
    return Long.parseLong(p.getProperty("clock.offset.ms", "0"));
  }

  public synchronized void clockOffsetMillis(long offset) {
    p.setProperty("clock.offset.ms", Long.toString(offset));
    save();
  }

  /** Whether the clock was set since the last load profile capture (that capture's row is marked). */
  public synchronized boolean profileClockAdjusted() {
    return "true".equals(p.getProperty("profile.clock.adjusted"));
  }

  public synchronized void profileClockAdjusted(boolean adjusted) {
    p.setProperty("profile.clock.adjusted", Boolean.toString(adjusted));
    save();
  }

  /** Where and how often the meter pushes, as a client (or the command line) last set it. */
  public synchronized org.s3mp.dlms.server.PushSettings pushSettings() {
    return new org.s3mp.dlms.server.PushSettings(p.getProperty("push.registers.destination", ""),
        Long.parseLong(p.getProperty("push.registers.period.s", "0")), p.getProperty("push.events.destination", ""));
  }

  public synchronized void pushSettings(org.s3mp.dlms.server.PushSettings push) {
    p.setProperty("push.registers.destination", push.registersDestination());
    p.setProperty("push.registers.period.s", Long.toString(push.periodSeconds()));
    p.setProperty("push.events.destination", push.eventsDestination());
    save();
  }

  public synchronized BigDecimal simulatedEnergyWh() {
    return new BigDecimal(p.getProperty("simulated.energy.import.wh", "0"));
  }

  public synchronized void simulatedEnergyWh(BigDecimal wh) {
    p.setProperty("simulated.energy.import.wh", wh.toPlainString());
    save();
  }

  private void save() {
    StringBuilder sb = new StringBuilder("# S3MP meter agent state\n");
    p.stringPropertyNames().stream().sorted().forEach(k -> sb.append(escape(k)).append('=')
        .append(escape(p.getProperty(k))).append('\n'));
    try {
      Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
      try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
          StandardOpenOption.TRUNCATE_EXISTING)) {
        ch.write(ByteBuffer.wrap(sb.toString().getBytes(StandardCharsets.UTF_8)));
        ch.force(true);
      }
      Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot save agent state to " + file, e);
    }
  }

  /** Properties escaping (backslash, separators, non-ASCII as unicode escapes). */
  private static String escape(String s) {
    StringBuilder b = new StringBuilder();
    if (s.startsWith(" ")) {
      // a leading blank would be stripped when loading
      b.append('\\');
    }
    for (char c : s.toCharArray()) {
      switch (c) {
        case '\\' -> b.append("\\\\");
        case '\n' -> b.append("\\n");
        case '\r' -> b.append("\\r");
        case '=', ':', '#', '!' -> b.append('\\').append(c);
        default -> {
          if (c < 0x20 || c > 0x7e) {
            b.append(String.format("\\u%04x", (int) c));
          } else {
            b.append(c);
          }
        }
      }
    }
    return b.toString();
  }
}
