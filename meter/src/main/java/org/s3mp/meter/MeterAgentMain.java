package org.s3mp.meter;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import org.s3mp.dlms.security.KeysFile;
import org.s3mp.dlms.transport.LinkOptions;
import org.s3mp.dlms.transport.MeterUrl;
import org.s3mp.dlms.transport.tcp.TcpTransport;
import org.s3mp.meter.drivers.LoggingDisplay;
import org.s3mp.meter.drivers.LoggingRelay;

/**
 * A plain entry point for the agent as its own process (tests, service managers without the s3mp jar's CLI):
 * {@code --data DIR --listen URL... --keys FILE [--simulated [--seed N] | --modbus-tcp HOST:PORT --map NAME
 * [--slave N]] [--capture-period S] [--pre-association-timeout S] [--clock-offset S] [--daemon HOST:PORT]
 * [--push URL] [--push-period S] [--simulate-outage AFTER[:DURATION]]}. Prints {@code listening URL} per endpoint
 * on stdout, runs until
 * terminated; exits with status 2 and one line on stderr when it cannot start. The user-facing command is {@code ./s3mp meter}.
 */
public final class MeterAgentMain {
  private MeterAgentMain() {}

  public static void main(String[] args) throws Exception {
    Path data = null;
    Path keys = null;
    List<MeterUrl> listen = new ArrayList<>();
    long seed = 1;
    int period = AgentConfig.DEFAULT_CAPTURE_PERIOD;
    String modbusTcp = null;
    String map = null;
    int slave = 1;
    String preAssociationTimeout = null;
    Duration clockOffset = null;
    String daemon = null;
    String push = null;
    Long pushPeriod = null;
    String outage = null;
    for (int i = 0; i < args.length; i++) {
      String a = args[i];
      if (a.equals("--simulated")) {
        continue;
      }
      if (i + 1 >= args.length) {
        fail("option " + a + " needs a value");
      }
      String v = args[++i];
      switch (a) {
        case "--data" -> data = Path.of(v);
        case "--keys" -> keys = Path.of(v);
        case "--listen" -> listen.add(MeterUrl.parse(v));
        case "--seed" -> seed = Long.parseLong(v);
        case "--capture-period" -> period = Integer.parseInt(v);
        case "--modbus-tcp" -> modbusTcp = v;
        case "--map" -> map = v;
        case "--slave" -> slave = Integer.parseInt(v);
        case "--pre-association-timeout" -> preAssociationTimeout = v;
        case "--daemon" -> daemon = v;
        case "--clock-offset" -> clockOffset = Duration.ofMillis(Math.round(Double.parseDouble(v) * 1000));
        case "--push" -> push = v;
        case "--push-period" -> pushPeriod = Long.parseLong(v);
        case "--simulate-outage" -> outage = v;
        default -> fail("unknown option " + a);
      }
    }
    if (data == null || keys == null) {
      fail("--data and --keys are required");
    }
    KeysFile k = KeysFile.load(keys);
    AgentConfig.SourceFactory source = modbusTcp == null ? Sources.simulated(seed)
        : Sources.modbusTcp(modbusTcp, map == null ? "or-we-514" : map, slave);
    LinkOptions transport = LinkOptions.of(Duration.ofSeconds(5))
        .with(TcpTransport.PRE_ASSOCIATION_TIMEOUT, preAssociationTimeout)
        .with(LinkOptions.SCION_DAEMON, daemon);
    MeterAgent agent = null;
    try {
      // rotatable by the head-end (key_transfer): transferred keys wait in the data directory until confirmed
      agent = MeterAgent.start(new AgentConfig(data, listen,
          org.s3mp.dlms.server.RotatingKeys.open(keys, data.resolve("keys.pending")), source, period, new LoggingRelay(),
          new LoggingDisplay(), Sources.serialNumber(k), transport).withClockOffset(clockOffset)
          .withPush(AgentConfig.Push.parse(push, pushPeriod, outage)));
    } catch (IOException | IllegalArgumentException e) {
      fail(e.getMessage());
    }
    MeterAgent running = agent;
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
  }

  private static void fail(String message) {
    System.err.println("meter: " + message);
    System.exit(2);
  }
}
