package org.s3mp.headend.storage;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The fixture is a head-end database copied right after kill -9 (AuditDurabilityIT, H2 2.5.252): its header names a
 * chunk whose prediction of the next chunk's place is wrong, so H2's quick recovery drops the five readings the
 * head-end had committed, checkpointed and streamed last (newest acknowledged: 18:30:02.619753).
 */
class H2CrashRecoveryTest {

  static final String LAST_ACKNOWLEDGED = "2026-12-04 18:30:02.619753+00";

  @TempDir Path dir;

  @Test
  void findsTheCommitsThatQuickRecoveryMisses() throws Exception {
    Path db = unpack("recovered");
    H2CrashRecovery.beforeOpen(db);
    assertThat(newestReading(db)).isEqualTo(LAST_ACKNOWLEDGED + " 28");
    // the file is closed cleanly now: opening it again changes nothing
    H2CrashRecovery.beforeOpen(db);
    assertThat(newestReading(db)).isEqualTo(LAST_ACKNOWLEDGED + " 28");
  }

  @Test
  void withoutItH2StopsEarlier() throws Exception {
    // documents why H2CrashRecovery exists; if this fails after an H2 upgrade, H2 may have fixed its recovery
    assertThat(newestReading(unpack("plain"))).isEqualTo("2026-12-04 18:29:57.963297+00 23");
  }

  @Test
  void leavesCleanAndMissingFilesAlone() throws Exception {
    H2CrashRecovery.beforeOpen(dir.resolve("absent"));
    assertThat(dir.resolve("absent.mv.db")).doesNotExist();
    Path db = unpack("clean");
    newestReading(db); // a clean close
    byte[] before = Files.readAllBytes(dir.resolve("clean.mv.db"));
    H2CrashRecovery.beforeOpen(db);
    assertThat(Files.readAllBytes(dir.resolve("clean.mv.db"))).isEqualTo(before);
  }

  private Path unpack(String name) throws Exception {
    try (InputStream in = new GZIPInputStream(getClass().getResourceAsStream("killed-in-broken-chain.mv.db.gz"))) {
      Files.copy(in, dir.resolve(name + ".mv.db"));
    }
    return dir.resolve(name);
  }

  private static String newestReading(Path db) throws Exception {
    try (Connection c = DriverManager.getConnection("jdbc:h2:file:" + db.toAbsolutePath());
        Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SELECT MAX(read_at), COUNT(*) FROM reading WHERE meter_id = 'm0'")) {
      rs.next();
      return rs.getString(1) + " " + rs.getLong(2);
    }
  }
}
