package org.s3mp.headend;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.s3mp.dlms.security.KeysFile;

/** Real simulated meter agents as processes, via the meter module's plain entry point. */
public final class RealMeters {
  private RealMeters() {}

  /** Writes a fresh keys file (random keys and system titles) shared by a meter and the head-end. */
  public static Path keys(Path dir, String name) throws IOException {
    SecureRandom random = new SecureRandom();
    byte[] client = new byte[8];
    byte[] server = new byte[8];
    random.nextBytes(client);
    random.nextBytes(server);
    Files.createDirectories(dir);
    Path file = dir.resolve(name + ".keys");
    Files.writeString(file, KeysFile.generate(client, server).format());
    return file;
  }

  /** A running meter process and the URL it serves. */
  public record Meter(ChildProcess process, String url, Path keys, Path data) implements AutoCloseable {
    @Override
    public void close() {
      process.close();
    }
  }

  /** Starts one simulated meter on a free loopback port. */
  public static Meter start(Path dir, String name, Path keys, int capturePeriodSeconds, long seed) throws IOException {
    return start(dir, name, keys, capturePeriodSeconds, seed, 0);
  }

  /** Starts one simulated meter; {@code port} 0 picks a free one. */
  public static Meter start(Path dir, String name, Path keys, int capturePeriodSeconds, long seed, int port)
      throws IOException {
    return start(dir, name, keys, capturePeriodSeconds, seed, port, List.of());
  }

  /** Starts one simulated meter with more agent options (e.g. {@code --clock-offset 120}). */
  public static Meter start(Path dir, String name, Path keys, int capturePeriodSeconds, long seed, int port,
      List<String> moreArgs) throws IOException {
    Path data = dir.resolve(name + "-data");
    List<String> args = new ArrayList<>(List.of("--simulated", "--seed", Long.toString(seed), "--data", data.toString(),
        "--keys", keys.toString(), "--listen", "tcp://127.0.0.1:" + port,
        "--capture-period", Integer.toString(capturePeriodSeconds)));
    args.addAll(moreArgs);
    ChildProcess p = ChildProcess.java("meter-" + name, dir.resolve(name + ".log"), List.of("-Xmx64m"),
        "org.s3mp.meter.MeterAgentMain", args);
    try {
      String line = p.awaitLines("listening ", 1, Duration.ofSeconds(60)).get(0);
      return new Meter(p, line.substring("listening ".length()).trim(), keys, data);
    } catch (RuntimeException | Error e) {
      p.close();
      throw e;
    }
  }
}
