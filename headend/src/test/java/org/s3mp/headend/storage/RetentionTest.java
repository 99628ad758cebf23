package org.s3mp.headend.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** database.retentionDays on a real H2 file (PostgreSQL: RetentionPostgresIT). */
class RetentionTest {

  @TempDir Path dir;

  @Test
  void deletesOnlyReadingsAndPathChangesOlderThanTheRetention() throws Exception {
    SimpleMeterRegistry metrics = new SimpleMeterRegistry();
    try (Database db = Database.open(dir.resolve("headend").toString(), null, null)) {
      RetentionFixture.insert(db);
      try (Retention retention = RetentionFixture.retention(db, metrics)) {
        Retention.Deleted deleted = retention.runOnce();
        assertThat(deleted).isEqualTo(new Retention.Deleted(RetentionFixture.OLD, 2L * RetentionFixture.OLD, 1, false));
        RetentionFixture.assertOnlyOldGone(db);
        assertThat(metrics.get("headend.retention.deleted").tag("table", "reading").counter().count())
            .isEqualTo(RetentionFixture.OLD);
        assertThat(metrics.get("headend.retention.deleted").tag("table", "path_change").counter().count())
            .isEqualTo(1);
        // the next round has nothing left to delete
        assertThat(retention.runOnce()).isEqualTo(new Retention.Deleted(0, 0, 0, false));
      }
    }
    // what was deleted stays deleted in the file
    try (Database db = Database.open(dir.resolve("headend").toString(), null, null)) {
      RetentionFixture.assertOnlyOldGone(db);
    }
  }

  @Test
  void retentionBelowOneDayIsRefused() throws Exception {
    try (Database db = Database.open(dir.resolve("headend").toString(), null, null)) {
      assertThatThrownBy(() -> new Retention(db, 0, new SimpleMeterRegistry(), java.time.Clock.systemUTC()))
          .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("retentionDays");
    }
  }
}
