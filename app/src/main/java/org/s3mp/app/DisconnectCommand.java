package org.s3mp.app;

import java.util.concurrent.Callable;
import org.s3mp.dlms.client.MeterClient;
import org.s3mp.dlms.client.RelayState;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Spec;

/** {@code s3mp disconnect URL}: remote_disconnect, confirmed by reading the relay state back. */
@Command(
    name = "disconnect",
    mixinStandardHelpOptions = true,
    description = "Open the meter's relay (remote_disconnect of 0.0.96.3.10.255) and confirm it by reading the "
        + "state back. Needs --keys (management client).",
    footer = {"", "Example: ./s3mp disconnect tcp://127.0.0.1:4059 --keys meter.keys"})
final class DisconnectCommand implements Callable<Integer> {
  @Spec picocli.CommandLine.Model.CommandSpec spec;
  @Mixin MeterTarget target;

  @Override
  public Integer call() throws Exception {
    try (MeterClient c = target.openManagement("disconnect")) {
      RelayState s = c.disconnect();
      spec.commandLine().getOut().println("relay " + s.control().name().toLowerCase());
    }
    return 0;
  }
}
