package org.s3mp.headend;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import org.s3mp.dlms.security.KeysFile;
import org.s3mp.dlms.transport.MeterUrl;
import org.s3mp.meter.AgentConfig;
import org.s3mp.meter.MeterAgent;
import org.s3mp.meter.Sources;
import org.s3mp.meter.drivers.LoggingDisplay;
import org.s3mp.meter.drivers.LoggingRelay;

/**
 * Many real simulated meter agents in one process (each its own data, keys and TCP port), so that 50 or 1,000
 * meters fit on a 2-core machine. Arguments: DIR PREFIX COUNT [CAPTURE_SECONDS]. Prints one line per meter:
 * {@code meter ID URL KEYSFILE}, then {@code ready}.
 */
public final class MeterFleetMain {
  private MeterFleetMain() {}

  public static void main(String[] args) throws Exception {
    Path dir = Path.of(args[0]);
    String prefix = args[1];
    int count = Integer.parseInt(args[2]);
    int capture = args.length > 3 ? Integer.parseInt(args[3]) : AgentConfig.DEFAULT_CAPTURE_PERIOD;
    SecureRandom random = new SecureRandom();
    List<MeterAgent> agents = new ArrayList<>();
    Runtime.getRuntime().addShutdownHook(new Thread(() -> agents.forEach(MeterAgent::close)));
    for (int i = 0; i < count; i++) {
      String id = prefix + i;
      byte[] client = new byte[8];
      byte[] server = new byte[8];
      random.nextBytes(client);
      random.nextBytes(server);
      KeysFile keys = KeysFile.generate(client, server);
      Path keysFile = dir.resolve(id + ".keys");
      Files.createDirectories(dir);
      Files.writeString(keysFile, keys.format());
      MeterAgent agent = MeterAgent.start(new AgentConfig(dir.resolve(id + "-data"),
          List.of(MeterUrl.parse("tcp://127.0.0.1:0")), keys, Sources.simulated(i + 1), capture, new LoggingRelay(),
          new LoggingDisplay(), Sources.serialNumber(keys)));
      synchronized (agents) {
        agents.add(agent);
      }
      System.out.println("meter " + id + " " + agent.endpoints().get(0) + " " + keysFile);
    }
    System.out.println("ready");
    System.out.flush();
    new CountDownLatch(1).await();
  }
}
