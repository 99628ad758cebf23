package org.s3mp.testbed;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The integration tests' testbed: one per JVM, see {@link Testbed#shared()}. */
final class SharedTestbed {
  private static final Logger log = LoggerFactory.getLogger(SharedTestbed.class);

  private static Testbed shared;

  private SharedTestbed() {}

  /**
   * One testbed per JVM for integration tests, on a loopback block of its own ({@link LoopbackBlock}; a fixed one
   * with S3MP_TEST_LOOPBACK_BLOCK), in run/it-testbed-B, started on first use and stopped when the JVM exits.
   * Testbeds that killed test JVMs of this checkout left behind are stopped first.
   */
  static synchronized Testbed get() throws IOException {
    if (shared == null) {
      stopLeftovers();
      String fixed = System.getenv("S3MP_TEST_LOOPBACK_BLOCK");
      LoopbackBlock block = fixed == null ? LoopbackBlock.claim() : LoopbackBlock.claim(Integer.parseInt(fixed));
      Path dir = S3mpHome.dir().resolve("run").resolve("it-testbed-" + block.number());
      Testbed tb = Testbed.start(Testbed.options(dir).withTopology(block.topology()).withProgress(line -> log.info("{}", line)));
      Runtime.getRuntime().addShutdownHook(new Thread(() -> {
        try {
          tb.stop();
          block.close();
        } catch (IOException e) {
          log.warn("stopping the shared testbed failed: {}", e.getMessage());
        }
      }, "testbed-stop"));
      shared = tb;
    }
    return shared;
  }

  /** Test testbeds of this checkout whose block no JVM holds any more: their test JVM was killed. */
  private static void stopLeftovers() throws IOException {
    Path run = S3mpHome.dir().resolve("run");
    if (!Files.isDirectory(run)) {
      return;
    }
    try (Stream<Path> dirs = Files.list(run)) {
      for (Path dir : dirs.filter(d -> d.getFileName().toString().matches("it-testbed-\\d+")).toList()) {
        int b = Integer.parseInt(dir.getFileName().toString().substring("it-testbed-".length()));
        Optional<Testbed> stale = Testbed.attach(dir);
        if (stale.isEmpty()) {
          continue;
        }
        try (LoopbackBlock free = LoopbackBlock.claimForCleanup(b)) {
          if (free != null) {
            log.info("stopping the testbed a killed test JVM left in {}", dir);
            stale.get().stop();
          }
        }
      }
    }
  }
}
