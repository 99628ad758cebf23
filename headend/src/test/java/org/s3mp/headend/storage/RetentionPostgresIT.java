package org.s3mp.headend.storage;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.sql.Connection;
import org.junit.jupiter.api.Test;

/** database.retentionDays on a real PostgreSQL, shared by two instances (two connection pools). */
class RetentionPostgresIT {

  @Test
  void deletesOnlyOldRowsAndOneInstanceAtATime() throws Exception {
    try (LocalPostgres pg = LocalPostgres.start();
        Database first = Database.open(pg.url(), null, null);
        Database second = Database.open(pg.url(), null, null)) {
      RetentionFixture.insert(first);
      try (Retention a = RetentionFixture.retention(first, new SimpleMeterRegistry());
          Retention b = RetentionFixture.retention(second, new SimpleMeterRegistry())) {
        // while instance A is in a round (holds the lock), instance B skips its round and deletes nothing
        try (Connection c = first.connection()) {
          c.setAutoCommit(false);
          RetentionFixture.execute(c, "SELECT pg_advisory_xact_lock(" + 0x53334d5052455431L + ")");
          assertThat(b.runOnce()).isEqualTo(new Retention.Deleted(0, 0, 0, true));
          RetentionFixture.assertNothingGone(second);
          c.rollback();
        }
        assertThat(b.runOnce())
            .isEqualTo(new Retention.Deleted(RetentionFixture.OLD, 2L * RetentionFixture.OLD, 1, false));
        RetentionFixture.assertOnlyOldGone(first);
        assertThat(a.runOnce()).isEqualTo(new Retention.Deleted(0, 0, 0, false));
      }
    }
  }
}
