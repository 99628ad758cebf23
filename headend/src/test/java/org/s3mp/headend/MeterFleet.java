package org.s3mp.headend;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.s3mp.headend.fleet.MeterInput;

/** Real simulated meters hosted by a few {@link MeterFleetMain} processes. */
public final class MeterFleet implements AutoCloseable {

  private final List<ChildProcess> processes = new ArrayList<>();
  private final List<MeterInput> meters = new ArrayList<>();

  /** Starts {@code count} meters in {@code processCount} processes. */
  public MeterFleet(Path dir, int count, int processCount, String heap) throws Exception {
    try {
      int perProcess = (count + processCount - 1) / processCount;
      for (int p = 0; p < processCount && p * perProcess < count; p++) {
        int n = Math.min(perProcess, count - p * perProcess);
        ChildProcess proc = ChildProcess.java("meters-" + p, dir.resolve("meters-" + p + ".log"),
            List.of("-Xmx" + heap, "-Xss256k", "-XX:+UseSerialGC"),
            MeterFleetMain.class.getName(), List.of(dir.toString(), "p" + p + "m", Integer.toString(n)));
        processes.add(proc);
      }
      for (ChildProcess proc : processes) {
        proc.awaitLines("ready", 1, Duration.ofSeconds(300));
        for (String line : proc.stdout()) {
          if (line.startsWith("meter ")) {
            String[] f = line.split(" ");
            meters.add(new MeterInput(f[1], f[2], f[3], null, false, 0, false));
          }
        }
      }
    } catch (Exception | Error e) {
      close();
      throw e;
    }
  }

  public List<MeterInput> meters() {
    return List.copyOf(meters);
  }

  @Override
  public void close() {
    processes.forEach(ChildProcess::close);
  }
}
