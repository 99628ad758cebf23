package org.s3mp.app;

import java.time.Clock;
import java.time.Duration;
import org.s3mp.dlms.drkey.DrkeyKeySource;
import org.s3mp.dlms.transport.LinkOptions;
import org.s3mp.scion.daemon.DaemonClient;
import picocli.CommandLine.Option;

/** The SCION options of the meter and of the one-shot meter commands: the daemon, the DRKey protocol, EPIC-HP. */
final class ScionClientOptions {
  @Option(names = "--daemon", paramLabel = "ADDR",
      description = "SCION daemon of this host's AS (default: $SCION_DAEMON_ADDRESS, then 127.0.0.1:30255).")
  String daemon;

  @Option(names = "--drkey-protocol", paramLabel = "N", defaultValue = "" + DrkeyKeySource.DEFAULT_PROTOCOL,
      description = "DRKey protocol number for DLMS (default: ${DEFAULT-VALUE}).")
  int drkeyProtocol;

  @Option(names = "--epic", description = "Send with SCION EPIC-HP (per-packet path validation by the routers),"
      + " over paths whose ASes offer it only; none: the command fails, nothing is sent.")
  boolean epic;

  /** Transport options with the daemon and the DRKey protocol (transports other than SCION ignore them). */
  LinkOptions linkOptions(Duration timeout) {
    checkProtocol();
    return LinkOptions.of(timeout).with(LinkOptions.SCION_DAEMON, daemon)
        .with(LinkOptions.DRKEY_PROTOCOL, Integer.toString(drkeyProtocol))
        .with(LinkOptions.EPIC, epic ? "true" : null);
  }

  /** The meter's DRKey keys through the daemon. */
  DrkeyKeySource drkeySource() {
    checkProtocol();
    return new DrkeyKeySource(DaemonClient.connect(DaemonClient.resolveAddress(daemon)), drkeyProtocol,
        Clock.systemUTC());
  }

  private void checkProtocol() {
    if (drkeyProtocol < 2 || drkeyProtocol > 0xFFFF) {
      throw new S3mp.UsageError("--drkey-protocol must be 2-65535 (0 and 1 are reserved): " + drkeyProtocol);
    }
  }
}
