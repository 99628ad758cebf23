package org.s3mp.testbed;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Makes connections to an AS's loopback address leave from that address instead of 127.0.0.1.
 *
 * <p>Why: a control service hands out DRKey host keys only to the host whose address the request comes from,
 * and the daemon is the one asking. On loopback the kernel picks 127.0.0.1 as the source for every
 * 127.x.y.z destination, so without this no daemon could get a key for its AS's host. One route per AS address
 * in the {@code local} table ({@code local IP/32 dev lo src IP}) fixes the source address and nothing else: the
 * address stays local and traffic stays on loopback. The routes added are recorded and removed at stop.
 */
final class LoopbackSourceRoutes {
  private static final Logger log = LoggerFactory.getLogger(LoopbackSourceRoutes.class);

  private final Path stateFile;

  LoopbackSourceRoutes(Path stateFile) {
    this.stateFile = stateFile;
  }

  /** Adds the routes that are missing; returns false (and warns) where the system does not allow it. */
  boolean add(List<String> ips) throws IOException {
    List<String> added = new ArrayList<>(recorded());
    String existing = Commands.run(List.of("ip", "route", "show", "table", "local"), null, Duration.ofSeconds(5));
    for (String ip : ips) {
      if (existing.contains("local " + ip + " dev lo") && existing.contains("src " + ip)) {
        continue;
      }
      Commands.Result r = Commands.exec(route("add", ip), null, Duration.ofSeconds(5));
      if (r.exitCode() != 0) {
        log.warn("cannot set the source address for {} ({}): DRKey host keys for this AS will be refused"
            + " (needs root or CAP_NET_ADMIN)", ip, r.output().strip());
        save(added);
        return false;
      }
      added.add(ip);
    }
    save(added);
    return true;
  }

  /** Removes exactly the routes this testbed added. */
  void removeAll() throws IOException {
    for (String ip : recorded()) {
      Commands.Result r = Commands.exec(route("del", ip), null, Duration.ofSeconds(5));
      if (r.exitCode() != 0) {
        log.warn("could not remove the loopback route for {}: {}", ip, r.output().strip());
      }
    }
    Files.deleteIfExists(stateFile);
  }

  private static List<String> route(String verb, String ip) {
    return List.of("ip", "route", verb, "local", ip + "/32", "dev", "lo", "src", ip, "table", "local");
  }

  private List<String> recorded() throws IOException {
    return Files.exists(stateFile) ? Files.readAllLines(stateFile).stream().filter(l -> !l.isBlank()).toList() : List.of();
  }

  private void save(List<String> ips) throws IOException {
    Files.write(stateFile, ips);
  }
}
