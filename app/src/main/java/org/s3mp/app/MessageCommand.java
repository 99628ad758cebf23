package org.s3mp.app;

import java.util.concurrent.Callable;
import org.s3mp.dlms.client.MeterClient;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code s3mp message URL TEXT}: shows a text on the meter's display. */
@Command(
    name = "message",
    mixinStandardHelpOptions = true,
    description = "Show TEXT on the meter's display (consumer message 0.0.96.13.0.255, at most 128 bytes of "
        + "UTF-8; empty clears it), confirmed by reading it back. Needs --keys (management client).",
    footer = {"", "Example: ./s3mp message tcp://127.0.0.1:4059 'Maintenance at 10:00' --keys meter.keys"})
final class MessageCommand implements Callable<Integer> {
  @Spec picocli.CommandLine.Model.CommandSpec spec;
  @Mixin MeterTarget target;

  @Parameters(index = "1", paramLabel = "TEXT", description = "The message.")
  String text;

  @Override
  public Integer call() throws Exception {
    String problem = org.s3mp.dlms.MeterObjects.messageProblem(text);
    if (problem != null) {
      throw new S3mp.UsageError("TEXT: " + problem);
    }
    try (MeterClient c = target.openManagement("message")) {
      c.setMessage(text);
      spec.commandLine().getOut().println("message set");
    }
    return 0;
  }
}
