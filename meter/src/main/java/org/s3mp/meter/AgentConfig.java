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
    java.time.Duration clockOffset) {

  /** A configuration whose clock keeps its stored offset. */
  public AgentConfig(Path dataDir, List<MeterUrl> listen, AssociationKeys keys, SourceFactory source,
      int capturePeriodSeconds, Relay relay, Display display, String serialNumber, LinkOptions transportOptions) {
    this(dataDir, listen, keys, source, capturePeriodSeconds, relay, display, serialNumber, transportOptions, null);
  }

  /** The same configuration with the clock starting {@code offset} from the host clock. */
  public AgentConfig withClockOffset(java.time.Duration offset) {
    return new AgentConfig(dataDir, listen, keys, source, capturePeriodSeconds, relay, display, serialNumber,
        transportOptions, offset);
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
