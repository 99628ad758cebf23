package org.s3mp.app;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import org.s3mp.dlms.client.ClientSecurity;
import org.s3mp.dlms.client.MeterClient;
import org.s3mp.dlms.security.KeysFile;
import org.s3mp.dlms.transport.LinkOptions;
import org.s3mp.dlms.transport.MeterUrl;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** The options every one-shot meter command shares: the meter URL, the keys and the time-out. */
final class MeterTarget {
  @Parameters(index = "0", paramLabel = "URL",
      description = "The meter: tcp://HOST:PORT or scion://ISD-AS,[IP]:PORT.")
  String url;

  @Option(names = "--keys", paramLabel = "FILE",
      description = "Keys file (static keys, HLS-GMAC): act as the management client. Without it: the public "
          + "client, which can read only the serial number and the clock.")
  Path keys;

  @Option(names = "--timeout", paramLabel = "MS", defaultValue = "5000",
      description = "Time to wait for each response (default: ${DEFAULT-VALUE}).")
  long timeoutMs;

  @picocli.CommandLine.Mixin ScionClientOptions scionOptions;

  @Option(names = "--policy", paramLabel = "FILE",
      description = "Path policy for scion:// meters (JSON or YAML: acl, sequence, allowed_isds, allowed_ases,"
          + " allowed_countries, order). No compliant path: the command fails, nothing is sent.")
  Path policy;

  @Option(names = "--drkey", description = "Management client with keys from SCION's DRKey (scion:// meters):"
      + " derived for this host's and the meter's SCION address through --daemon, renewed every epoch.")
  boolean drkey;

  ClientSecurity security() throws IOException {
    if (drkey && keys != null) {
      throw new S3mp.UsageError("choose either --keys (static keys) or --drkey");
    }
    if (drkey) {
      return ClientSecurity.fromNetwork();
    }
    return keys == null ? ClientSecurity.publicClient() : ClientSecurity.management(KeysFile.load(keys));
  }

  /**
   * For commands only the management client may send (disconnect, reconnect, message): without keys the meter
   * would answer READ_WRITE_DENIED, so say what is missing instead.
   */
  MeterClient openManagement(String command) throws IOException {
    if (!drkey && keys == null) {
      throw new S3mp.UsageError(command + " needs the management client: give --keys FILE (or --drkey for a"
          + " scion:// meter); without keys only the serial number and the clock can be read");
    }
    return open();
  }

  MeterClient open() throws IOException {
    if (timeoutMs <= 0) {
      throw new S3mp.UsageError("--timeout must be positive");
    }
    MeterUrl meter;
    try {
      meter = MeterUrl.parse(url);
    } catch (IllegalArgumentException e) {
      throw new S3mp.UsageError(e.getMessage());
    }
    LinkOptions options = scionOptions.linkOptions(Duration.ofMillis(timeoutMs))
        .with(LinkOptions.PATH_POLICY, policy == null ? null : policy.toString());
    return MeterClient.open(meter, security(), options);
  }
}
