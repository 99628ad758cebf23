package org.s3mp.app;

import java.time.Clock;
import java.time.Duration;
import org.s3mp.dlms.drkey.DrkeyKeySource;
import org.s3mp.dlms.transport.LinkOptions;
import org.s3mp.dlms.transport.scion.ScionTransport;
import org.s3mp.scion.daemon.DaemonClient;
import picocli.CommandLine.Option;

/** The SCION options of the meter and of the one-shot meter commands: the daemon and the DRKey protocol. */
final class ScionClientOptions {
  @Option(names = "--daemon", paramLabel = "ADDR",
      description = "SCION daemon of this host's AS (default: $SCION_DAEMON_ADDRESS, then 127.0.0.1:30255).")
  String daemon;

  @Option(names = "--drkey-protocol", paramLabel = "N", defaultValue = "" + DrkeyKeySource.DEFAULT_PROTOCOL,
      description = "DRKey protocol number for DLMS (default: ${DEFAULT-VALUE}).")
  int drkeyProtocol;

  /** Transport options with the daemon (transports other than SCION ignore it). */
  LinkOptions linkOptions(Duration timeout) {
    return LinkOptions.of(timeout).with(ScionTransport.DAEMON, daemon);
  }

  /** DRKey keys through the daemon; a bad protocol number is a usage error. */
  DrkeyKeySource drkeySource() {
    if (drkeyProtocol < 2 || drkeyProtocol > 0xFFFF) {
      throw new S3mp.UsageError("--drkey-protocol must be 2-65535 (0 and 1 are reserved): " + drkeyProtocol);
    }
    return new DrkeyKeySource(DaemonClient.connect(DaemonClient.resolveAddress(daemon)), drkeyProtocol,
        Clock.systemUTC());
  }
}
