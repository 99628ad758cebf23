package org.s3mp.app;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.s3mp.dlms.MeterObjects;
import org.s3mp.dlms.ObisCode;
import org.s3mp.dlms.client.MeterClient;
import org.s3mp.dlms.client.MeterException;
import org.s3mp.dlms.client.RegisterReading;
import org.s3mp.dlms.client.RelayState;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code s3mp read URL [OBIS...]}: one DLMS read, one {@code OBIS VALUE UNIT} line per object. */
@Command(
    name = "read",
    mixinStandardHelpOptions = true,
    description = {
      "Read objects of a meter and print one line per object: OBIS VALUE UNIT (VALUE a plain decimal, "
          + "already scaled; e.g. 1.0.32.7.0.255 231.4 V).",
      "Without OBIS codes: all registers (with --keys) or serial number and clock (public client).",
      "Besides registers: 0.0.1.0.0.255 (clock, ISO-8601), 0.0.96.1.0.255 (serial number), 1.0.0.2.0.255 "
          + "(firmware), 0.0.96.3.10.255 (relay), 0.0.96.13.0.255 (message), 1.0.99.1.0.255 (load profile: "
          + "entries in use)."
    },
    footer = {"", "Example: ./s3mp read tcp://127.0.0.1:4059 1.0.32.7.0.255 --keys meter.keys"})
final class ReadCommand implements Callable<Integer> {
  @Spec picocli.CommandLine.Model.CommandSpec spec;

  @Mixin MeterTarget target;

  @Parameters(index = "1..*", paramLabel = "OBIS", description = "Objects to read, e.g. 1.0.32.7.0.255.")
  List<String> obis = new ArrayList<>();

  @Option(names = "--count", paramLabel = "N", defaultValue = "1",
      description = "Read N times over one association (default: ${DEFAULT-VALUE}).")
  int count;

  @Option(names = "--interval", paramLabel = "MS", defaultValue = "1000",
      description = "Pause between repeated reads (default: ${DEFAULT-VALUE}).")
  long intervalMs;

  @Option(names = "--show-security", description = "Print the security mode and key id (never a key).")
  boolean showSecurity;

  @Option(names = "--show-path", description = "Print the path each reading took (scion:// meters).")
  boolean showPath;

  @Override
  public Integer call() throws Exception {
    if (count < 1) {
      throw new S3mp.UsageError("--count must be at least 1");
    }
    if (intervalMs < 0) {
      throw new S3mp.UsageError("--interval must not be negative");
    }
    List<ObisCode> codes = new ArrayList<>();
    for (String o : obis) {
      try {
        codes.add(ObisCode.parse(o));
      } catch (IllegalArgumentException e) {
        throw new S3mp.UsageError(e.getMessage());
      }
    }
    if (codes.isEmpty()) {
      if (target.keys == null && !target.drkey) {
        codes.add(MeterObjects.SERIAL_NUMBER);
        codes.add(MeterObjects.CLOCK);
      } else {
        MeterObjects.REGISTERS.forEach(r -> codes.add(r.obis()));
      }
    }
    PrintWriter out = spec.commandLine().getOut();
    try (MeterClient client = target.open()) {
      if (showSecurity) {
        out.println("# security: " + client.securityInfo());
      }
      for (int i = 1; i <= count; i++) {
        long start = System.nanoTime();
        List<String> lines = readAll(client, codes);
        long nanos = System.nanoTime() - start;
        lines.forEach(out::println);
        failures.forEach(f -> spec.commandLine().getErr().println("read: " + f));
        if (showPath) {
          out.println("# path: " + client.lastPath().map(p -> p.notation() + " ISDs " + p.isds() + " countries "
              + p.countries()).orElse("(not path-aware: " + client.url().scheme() + ")"));
        }
        if (count > 1) {
          out.printf("# reading %d delay %.3f ms%n", i, nanos / 1e6);
        }
        out.flush();
        if (i < count && intervalMs > 0) {
          Thread.sleep(intervalMs);
        }
      }
    }
    return failures.isEmpty() ? 0 : 1;
  }

  /** Objects the meter could not deliver in the last reading (printed on stderr, exit code 1). */
  private final List<String> failures = new ArrayList<>();

  private List<String> readAll(MeterClient client, List<ObisCode> codes) throws Exception {
    failures.clear();
    List<String> lines = new ArrayList<>();
    List<ObisCode> registers = codes.stream().filter(c -> MeterObjects.register(c).isPresent()).toList();
    List<String> registerLines = new ArrayList<>();
    try {
      for (RegisterReading r : registers.isEmpty() ? List.<RegisterReading>of() : client.readRegisters(registers)) {
        registerLines.add(r.line());
      }
    } catch (MeterException e) {
      if (e.dlmsError() == null) {
        throw e;
      }
      // one register failed (e.g. not in the Modbus meter's map): read them one by one, report the failures
      registerLines.clear();
      for (ObisCode c : registers) {
        try {
          registerLines.add(client.readRegister(c).line());
        } catch (MeterException one) {
          if (one.dlmsError() == null) {
            throw one;
          }
          registerLines.add(null);
          failures.add(c + ": " + one.dlmsError());
        }
      }
    }
    for (ObisCode c : codes) {
      if (MeterObjects.register(c).isPresent()) {
        String line = registerLines.get(registers.indexOf(c));
        if (line != null) {
          lines.add(line);
        }
      } else if (c.equals(MeterObjects.CLOCK)) {
        lines.add(c + " " + client.readClock());
      } else if (c.equals(MeterObjects.SERIAL_NUMBER)) {
        lines.add(c + " " + client.readSerialNumber());
      } else if (c.equals(MeterObjects.FIRMWARE_ID)) {
        lines.add(c + " " + client.readFirmwareId());
      } else if (c.equals(MeterObjects.CONSUMER_MESSAGE)) {
        lines.add(c + " " + client.readMessage());
      } else if (c.equals(MeterObjects.DISCONNECT_CONTROL)) {
        RelayState s = client.readRelay();
        lines.add(c + " " + s.control().name().toLowerCase());
      } else if (c.equals(MeterObjects.LOAD_PROFILE)) {
        lines.add(c + " " + client.loadProfileEntries() + " entries");
      } else {
        throw new MeterException("the meter has no object " + c);
      }
    }
    return lines;
  }
}
