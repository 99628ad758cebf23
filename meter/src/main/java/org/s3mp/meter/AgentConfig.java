package org.s3mp.meter;

import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import org.s3mp.dlms.security.KeysFile;
import org.s3mp.dlms.server.AssociationKeys;
import org.s3mp.dlms.transport.LinkOptions;
import org.s3mp.dlms.transport.MeterUrl;
import org.s3mp.meter.drivers.Display;
import org.s3mp.meter.drivers.Relay;
import org.s3mp.meter.source.MeterSource;

/**
 * Everything a meter agent runs with.
 *
 * @param dataDir persistent state: relay, message, counters, load profile, events
 * @param listen transport endpoints, e.g. {@code tcp://127.0.0.1:4059}
 * @param source the measurements; built with the agent's clock by {@link SourceFactory}
 * @param capturePeriodSeconds load profile capture period (900 by default)
 * @param serialNumber the meter's serial number 0.0.96.1.0.255
 * @param transportOptions options for the listening transports (for SCION: the daemon)
 * @param clockOffset null: the meter's clock keeps its stored offset from the host clock; else the clock starts
 *     this far from the host clock (labs and tests: a meter with drift)
 * @param push null: the meter pushes as its stored push settings say; else what the command line set
 * @param firmwareKey the Ed25519 key firmware images must be signed with; null: the meter takes no images
 */
public record AgentConfig(
    Path dataDir,
    List<MeterUrl> listen,
    AssociationKeys keys,
    SourceFactory source,
    int capturePeriodSeconds,
    Relay relay,
    Display display,
    String serialNumber,
    LinkOptions transportOptions,
    java.time.Duration clockOffset,
    Push push,
    java.security.PublicKey firmwareKey) {

  /**
   * Push options of the command line. {@code destination} (both push setups) and {@code periodSeconds} replace
   * the stored settings when not null (else the stored ones, as the head-end last set them, stay). With
   * {@code outageAfter} the simulated mains fail that long after the start (the meter pushes its last gasp) and
   * come back {@code outageDuration} later.
   */
  public record Push(String destination, Long periodSeconds, java.time.Duration outageAfter,
      java.time.Duration outageDuration) {
    public Push {
      if (destination != null || periodSeconds != null) {
        new org.s3mp.dlms.server.PushSettings(destination == null ? "" : destination,
            periodSeconds == null ? 0 : periodSeconds, ""); // checks both
      }
      if (outageAfter != null && (outageAfter.isNegative() || outageDuration == null || outageDuration.isNegative()
          || outageDuration.isZero())) {
        throw new IllegalArgumentException("simulated outage: a start of 0 s or more and a positive duration");
      }
    }

    /** Default length of a simulated outage when {@code --simulate-outage} gives only its start. */
    public static final java.time.Duration DEFAULT_OUTAGE = java.time.Duration.ofSeconds(10);

    /**
     * Options as the command lines give them; {@code outage} is {@code AFTER_SECONDS[:DURATION_SECONDS]} or null.
     * Null when none is given.
     */
    public static Push parse(String destination, Long periodSeconds, String outage) {
      java.time.Duration after = null;
      java.time.Duration duration = null;
      if (outage != null) {
        String[] parts = outage.strip().split(":", -1);
        try {
          if (parts.length > 2) {
            throw new NumberFormatException();
          }
          after = seconds(parts[0]);
          duration = parts.length == 2 ? seconds(parts[1]) : DEFAULT_OUTAGE;
        } catch (NumberFormatException e) {
          throw new IllegalArgumentException("--simulate-outage: AFTER_SECONDS[:DURATION_SECONDS], e.g. 30:10, got "
              + outage);
        }
      }
      if (destination == null && periodSeconds == null && after == null) {
        return null;
      }
      return new Push(destination, periodSeconds, after, duration);
    }

    private static java.time.Duration seconds(String text) {
      double s = Double.parseDouble(text.strip());
      if (!(s >= 0 && s <= 86_400 * 365)) {
        throw new NumberFormatException(text);
      }
      return java.time.Duration.ofMillis(Math.round(s * 1000));
    }

    /** The settings to store at start: the stored ones with what the command line gave. */
    org.s3mp.dlms.server.PushSettings applyTo(org.s3mp.dlms.server.PushSettings stored) {
      org.s3mp.dlms.server.PushSettings s = stored;
      if (destination != null) {
        s = s.withRegistersDestination(destination).withEventsDestination(destination);
      }
      return periodSeconds == null ? s : s.withPeriod(periodSeconds);
    }
  }

  public AgentConfig(Path dataDir, List<MeterUrl> listen, AssociationKeys keys, SourceFactory source,
      int capturePeriodSeconds, Relay relay, Display display, String serialNumber, LinkOptions transportOptions,
      java.time.Duration clockOffset, Push push) {
    this(dataDir, listen, keys, source, capturePeriodSeconds, relay, display, serialNumber, transportOptions,
        clockOffset, push, null);
  }

  /** The same configuration trusting this firmware-signing key. */
  public AgentConfig withFirmwareKey(java.security.PublicKey key) {
    return new AgentConfig(dataDir, listen, keys, source, capturePeriodSeconds, relay, display, serialNumber,
        transportOptions, clockOffset, push, key);
  }

  public AgentConfig(Path dataDir, List<MeterUrl> listen, AssociationKeys keys, SourceFactory source,
      int capturePeriodSeconds, Relay relay, Display display, String serialNumber, LinkOptions transportOptions,
      java.time.Duration clockOffset) {
    this(dataDir, listen, keys, source, capturePeriodSeconds, relay, display, serialNumber, transportOptions,
        clockOffset, null);
  }

  /** The same configuration with these push options. */
  public AgentConfig withPush(Push options) {
    return new AgentConfig(dataDir, listen, keys, source, capturePeriodSeconds, relay, display, serialNumber,
        transportOptions, clockOffset, options, firmwareKey);
  }

  /** A configuration whose clock keeps its stored offset. */
  public AgentConfig(Path dataDir, List<MeterUrl> listen, AssociationKeys keys, SourceFactory source,
      int capturePeriodSeconds, Relay relay, Display display, String serialNumber, LinkOptions transportOptions) {
    this(dataDir, listen, keys, source, capturePeriodSeconds, relay, display, serialNumber, transportOptions, null);
  }

  /** The same configuration with the clock starting {@code offset} from the host clock. */
  public AgentConfig withClockOffset(java.time.Duration offset) {
    return new AgentConfig(dataDir, listen, keys, source, capturePeriodSeconds, relay, display, serialNumber,
        transportOptions, offset, push, firmwareKey);
  }

  public static final int DEFAULT_CAPTURE_PERIOD = 900;

  /** A configuration with static keys and default transport options (plain IP listeners need none). */
  public AgentConfig(Path dataDir, List<MeterUrl> listen, KeysFile keys, SourceFactory source,
      int capturePeriodSeconds, Relay relay, Display display, String serialNumber) {
    this(dataDir, listen, keys, source, capturePeriodSeconds, relay, display, serialNumber,
        LinkOptions.of(java.time.Duration.ofSeconds(5)));
  }

  /** A configuration with static keys from a keys file. */
  public AgentConfig(Path dataDir, List<MeterUrl> listen, KeysFile keys, SourceFactory source,
      int capturePeriodSeconds, Relay relay, Display display, String serialNumber, LinkOptions transportOptions) {
    this(dataDir, listen, AssociationKeys.fixed(Objects.requireNonNull(keys, "keys")), source, capturePeriodSeconds,
        relay, display, serialNumber, transportOptions);
  }

  public AgentConfig {
    Objects.requireNonNull(transportOptions, "transport options");
    Objects.requireNonNull(dataDir, "data directory");
    Objects.requireNonNull(keys, "keys");
    Objects.requireNonNull(source, "source");
    listen = List.copyOf(listen);
    if (listen.isEmpty()) {
      throw new IllegalArgumentException("the meter needs at least one --listen URL");
    }
    if (capturePeriodSeconds < 1 || capturePeriodSeconds > 86_400) {
      throw new IllegalArgumentException("capture period must be 1..86400 s: " + capturePeriodSeconds);
    }
  }

  /** Builds the source once the agent's state (clock, stored energy) is known. */
  @FunctionalInterface
  public interface SourceFactory {
    MeterSource create(MeterClock clock, java.math.BigDecimal storedEnergyWh) throws java.io.IOException;
  }

  /** The meter's clock: system time plus the offset a client set. */
  @FunctionalInterface
  public interface MeterClock extends java.util.function.Supplier<java.time.Instant> {}
}
