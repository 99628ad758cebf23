package org.s3mp.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * CPU time and resident memory of a set of processes, read from /proc: what the paper measured on the meter side.
 * CPU is in clock ticks (utime + stime, 100 per second on Linux), RSS in kB.
 */
final class ProcessSampler {
  /** USER_HZ: the unit of utime/stime in /proc/PID/stat; 100 on every Linux architecture we run on. */
  static final int TICKS_PER_SECOND = 100;

  private final List<Long> pids;

  ProcessSampler(List<Long> pids) {
    this.pids = List.copyOf(pids);
  }

  List<Long> pids() {
    return pids;
  }

  /** utime + stime of all processes, in ticks. */
  long cpuTicks() throws IOException {
    long total = 0;
    for (long pid : pids) {
      String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
      // fields after the parenthesised command: state is field 3, utime 14, stime 15 (1-based)
      String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
      total += Long.parseLong(f[11]) + Long.parseLong(f[12]);
    }
    return total;
  }

  /** Sum of VmRSS of all processes, in kB. */
  long rssKb() throws IOException {
    long total = 0;
    for (long pid : pids) {
      String status = Files.readString(Path.of("/proc", Long.toString(pid), "status"));
      int at = status.indexOf("VmRSS:");
      if (at >= 0) {
        // "VmRSS:     68812 kB"
        total += Long.parseLong(status.substring(at + 6, status.indexOf('\n', at)).replace("kB", "").trim());
      }
    }
    return total;
  }
}
