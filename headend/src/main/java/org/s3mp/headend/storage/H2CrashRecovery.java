package org.s3mp.headend.storage;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.h2.mvstore.MVStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Finds the commits that H2's quick crash recovery misses, before the head-end opens its H2 file after an unclean
 * stop (kill -9, power loss).
 *
 * <p>Why: H2 2.x (seen with 2.5.252) re-writes its file header after a chunk was placed somewhere other than the
 * previous chunk predicted, but the header then names the previous chunk, whose prediction is the wrong one. Quick
 * recovery follows that broken chain, stops at the previous chunk and silently drops every later chunk until the
 * next header write (up to 20 versions): committed, checkpointed and acknowledged readings and audit entries
 * vanished on kill -9 (AuditDurabilityIT). The chunks are in the file; H2's full scan ("recovery mode") finds them.
 * So after an unclean stop the file is opened once read-only both ways, and only if the full scan finds a newer
 * complete version is the file opened in recovery mode and closed cleanly, which writes a header naming it.
 */
final class H2CrashRecovery {

  private static final Logger log = LoggerFactory.getLogger(H2CrashRecovery.class);

  private H2CrashRecovery() {}

  /** {@code database} is the H2 file path without the {@code .mv.db} suffix. */
  static void beforeOpen(Path database) {
    Path file = database.resolveSibling(database.getFileName() + ".mv.db");
    if (!Files.isRegularFile(file) || closedCleanly(file)) {
      return;
    }
    String name = file.toString();
    long quick;
    long scanned;
    try {
      quick = version(new MVStore.Builder().fileName(name).readOnly());
      scanned = version(new MVStore.Builder().fileName(name).readOnly().recoveryMode());
    } catch (RuntimeException e) {
      // leave the file to the normal open, which reports what is wrong with it
      log.warn("checking {} after an unclean stop failed: {}", file, e.toString());
      return;
    }
    if (scanned <= quick) {
      log.info("{} was not closed cleanly; H2's recovery finds its newest version ({})", file, quick);
      return;
    }
    try {
      MVStore store = new MVStore.Builder().fileName(name).recoveryMode().open();
      store.close();
    } catch (RuntimeException e) {
      log.error("recovering {} up to version {} failed, opening it as H2 finds it (version {}): {}", file, scanned,
          quick, e.toString());
      return;
    }
    log.warn("{} was not closed cleanly and H2's quick recovery would have stopped at version {}: recovered up to"
        + " version {} from a full scan of the file", file, quick, scanned);
  }

  private static long version(MVStore.Builder builder) {
    MVStore store = builder.open();
    try {
      return store.getCurrentVersion();
    } finally {
      store.closeImmediately();
    }
  }

  /** The file header (first block) carries {@code clean:1} after a clean close. */
  private static boolean closedCleanly(Path file) {
    byte[] header = new byte[512];
    try (InputStream in = Files.newInputStream(file)) {
      int n = in.readNBytes(header, 0, header.length);
      String text = new String(header, 0, n, StandardCharsets.ISO_8859_1);
      int end = text.indexOf('\n');
      return java.util.Arrays.asList((end < 0 ? text : text.substring(0, end)).split(",")).contains("clean:1");
    } catch (IOException e) {
      return false;
    }
  }
}
