package org.s3mp.meter;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.s3mp.dlms.security.KeysFile;
import org.s3mp.dlms.transport.LinkOptions;
import org.s3mp.dlms.transport.MeterUrl;
import org.s3mp.dlms.transport.tcp.TcpTransport;
import org.s3mp.meter.drivers.LoggingDisplay;
import org.s3mp.meter.drivers.LoggingRelay;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * A plain entry point for the agent as its own process (tests, service managers without the s3mp jar's CLI):
 * {@code --data DIR --listen URL... --keys FILE [--simulated [--seed N] | --modbus-tcp HOST:PORT --map NAME
 * [--slave N]] [--capture-period S] [--pre-association-timeout S] [--clock-offset S] [--daemon HOST:PORT]
 * [--push URL] [--push-period S] [--simulate-outage AFTER[:DURATION]]}. Prints {@code listening URL} per endpoint
 * on stdout, runs until terminated; exits with status 2 and one line on stderr when it cannot start. The
 * user-facing command is {@code ./s3mp meter}.
 */
@Command(name = "meter-agent", description = "The meter agent as a plain process (see ./s3mp meter).")
public final class MeterAgentMain implements Callable<Integer> {
  @Option(names = "--data", required = true, paramLabel = "DIR") Path data;
  @Option(names = "--keys", required = true, paramLabel = "FILE") Path keys;
  @Option(names = "--listen", paramLabel = "URL") List<MeterUrl> listen = new ArrayList<>();
  @Option(names = "--simulated", description = "A simulated household (the default without --modbus-tcp).")
  boolean simulated;
  @Option(names = "--seed") long seed = 1;
  @Option(names = "--capture-period", paramLabel = "S") int period = AgentConfig.DEFAULT_CAPTURE_PERIOD;
  @Option(names = "--modbus-tcp", paramLabel = "HOST:PORT") String modbusTcp;
  @Option(names = "--map") String map = "or-we-514";
  @Option(names = "--slave") int slave = 1;
  @Option(names = "--pre-association-timeout", paramLabel = "S") String preAssociationTimeout;
  @Option(names = "--clock-offset", paramLabel = "S") Double clockOffset;
  @Option(names = "--daemon", paramLabel = "HOST:PORT") String daemon;
  @Option(names = "--push", paramLabel = "URL") String push;
  @Option(names = "--push-period", paramLabel = "S") Long pushPeriod;
  @Option(names = "--simulate-outage", paramLabel = "AFTER[:DURATION]") String outage;
  @Option(names = "--firmware-key", paramLabel = "FILE") Path firmwareKey;

  MeterAgentMain() {}

  public static void main(String[] args) {
    int exit = commandLine(new MeterAgentMain()).execute(args);
    if (exit != 0) {
      System.exit(exit);
    }
  }

  static CommandLine commandLine(MeterAgentMain agent) {
    return new CommandLine(agent)
        .registerConverter(MeterUrl.class, MeterUrl::parse)
        .setParameterExceptionHandler((e, args) -> fail(e.getMessage()))
        .setExecutionExceptionHandler((e, cl, parsed) -> fail(e.getMessage()));
  }

  /** Runs until the process is terminated (then returns 0 while the JVM shuts down). */
  @Override
  public Integer call() throws IOException, InterruptedException {
    KeysFile k = KeysFile.load(keys);
    AgentConfig.SourceFactory source = modbusTcp == null ? Sources.simulated(seed)
        : Sources.modbusTcp(modbusTcp, map, slave);
    LinkOptions transport = LinkOptions.of(Duration.ofSeconds(5))
        .with(TcpTransport.PRE_ASSOCIATION_TIMEOUT, preAssociationTimeout)
        .with(LinkOptions.SCION_DAEMON, daemon);
    Duration offset = clockOffset == null ? null : Duration.ofMillis(Math.round(clockOffset * 1000));
    // rotatable by the head-end (key_transfer): transferred keys wait in the data directory until confirmed
    MeterAgent running = MeterAgent.start(new AgentConfig(data, listen,
        org.s3mp.dlms.server.RotatingKeys.open(keys, data.resolve("keys.pending")), source, period, new LoggingRelay(),
        new LoggingDisplay(), Sources.serialNumber(k), transport).withClockOffset(offset)
        .withPush(AgentConfig.Push.parse(push, pushPeriod, outage))
        .withFirmwareKey(firmwareKey == null ? null
            : org.s3mp.dlms.firmware.FirmwareImage.readPublicKey(firmwareKey)));
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      running.close();
      stopped.countDown();
    }));
    for (MeterUrl url : running.endpoints()) {
      System.out.println("listening " + url);
    }
    System.out.flush();
    stopped.await();
    return 0;
  }

  /** The one line on stderr and the exit status 2 of an agent that cannot start. */
  private static int fail(String message) {
    System.err.println("meter: " + message);
    return 2;
  }
}
