package org.s3mp.app;

import java.util.concurrent.Callable;
import org.s3mp.dlms.client.MeterClient;
import org.s3mp.dlms.client.RelayState;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Spec;

/** {@code s3mp reconnect URL}: remote_reconnect, confirmed by reading the relay state back. */
@Command(
    name = "reconnect",
    mixinStandardHelpOptions = true,
    description = "Close the meter's relay (remote_reconnect of 0.0.96.3.10.255) and confirm it by reading the "
        + "state back. Needs --keys (management client).",
    footer = {"", "Example: ./s3mp reconnect tcp://127.0.0.1:4059 --keys meter.keys"})
final class ReconnectCommand implements Callable<Integer> {
  @Spec picocli.CommandLine.Model.CommandSpec spec;
  @Mixin MeterTarget target;

  @Override
  public Integer call() throws Exception {
    try (MeterClient c = target.openManagement("reconnect")) {
      RelayState s = c.reconnect();
      spec.commandLine().getOut().println("relay " + s.control().name().toLowerCase());
    }
    return 0;
  }
}
