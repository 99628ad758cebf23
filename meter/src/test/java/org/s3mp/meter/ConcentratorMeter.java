package org.s3mp.meter;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.s3mp.dlms.security.KeysFile;
import org.s3mp.dlms.transport.LinkOptions;
import org.s3mp.dlms.transport.MeterUrl;
import org.s3mp.meter.drivers.LoggingDisplay;
import org.s3mp.meter.drivers.LoggingRelay;
import org.s3mp.testbed.Testbed;

/**
 * A simulated meter listening over SCION in the testbed's concentrator AS, as the SCION ITs start it, and the
 * options of a client reaching it from the head-end AS.
 */
final class ConcentratorMeter {

  private ConcentratorMeter() {}

  /** The SCION address a meter of the concentrator AS listens on (any free port). */
  static MeterUrl scionUrl(Testbed tb) {
    return MeterUrl.parse("scion://" + tb.concentrator() + ",[" + tb.hostAddress(tb.concentrator()).getHostAddress()
        + "]:0");
  }

  /** The meter's transport options: the concentrator AS's daemon. */
  static LinkOptions meterOptions(Testbed tb) {
    return LinkOptions.of(Duration.ofSeconds(1)).with(LinkOptions.SCION_DAEMON, tb.daemonHostPort(tb.concentrator()));
  }

  /** A meter listening over SCION only, its values simulated from {@code seed}, its relay and display logged. */
  static MeterAgent start(Testbed tb, Path dir, KeysFile keys, long seed, String serial) throws IOException {
    return MeterAgent.start(new AgentConfig(dir, List.of(scionUrl(tb)), keys, Sources.simulated(seed), 900,
        new LoggingRelay(), new LoggingDisplay(), serial, meterOptions(tb)));
  }

  /** The transport options of a client in the head-end AS. */
  static LinkOptions fromHeadEnd(Testbed tb, Duration timeout) {
    return LinkOptions.of(timeout).with(LinkOptions.SCION_DAEMON, tb.daemonHostPort(tb.headEnd()));
  }
}
