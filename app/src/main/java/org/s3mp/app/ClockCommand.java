package org.s3mp.app;

import java.io.PrintWriter;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.s3mp.dlms.client.MeterClient;
import org.s3mp.headend.polling.ClockReading;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code s3mp clock URL [--set]}: the meter's clock against this host's, and a set to this host's time. */
@Command(
    name = "clock",
    mixinStandardHelpOptions = true,
    description = {
      "Read the meter's clock (0.0.1.0.0.255) and print the meter's time, this host's time half-way through the"
          + " request's round trip, and the drift (meter minus local, in seconds; positive: the meter is ahead).",
      "--set sets the meter's clock to this host's time and prints the clock read back. Reading works with the"
          + " public client; --set needs --keys (management client) or --drkey."
    },
    footer = {"", "Example: ./s3mp clock tcp://127.0.0.1:4059 --set --keys meter.keys"})
final class ClockCommand implements Callable<Integer> {
  @Spec picocli.CommandLine.Model.CommandSpec spec;
  @Mixin MeterTarget target;

  @Option(names = "--set", description = "Set the meter's clock to this host's time, then read it again.")
  boolean set;

  @Override
  public Integer call() throws Exception {
    PrintWriter out = spec.commandLine().getOut();
    try (MeterClient c = set ? target.openManagement("clock --set") : target.open()) {
      ClockReading before = ClockReading.measure(c::readClock);
      print(out, before);
      if (set) {
        c.setClock(before.targetForSet());
        out.println("clock set");
        print(out, ClockReading.measure(c::readClock));
      }
    }
    return 0;
  }

  private static void print(PrintWriter out, ClockReading r) {
    out.println("meter time " + r.meterTime());
    out.println("local time " + r.headendTime());
    out.println(String.format(Locale.ROOT, "drift %+.3f s", r.driftSeconds()));
    out.flush();
  }
}
