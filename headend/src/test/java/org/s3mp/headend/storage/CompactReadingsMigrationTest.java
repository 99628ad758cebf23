package org.s3mp.headend.storage;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import org.h2.jdbcx.JdbcDataSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Schema 18 on an H2 file that a head-end before it filled (PostgreSQL: CompactReadingsPostgresIT). */
class CompactReadingsMigrationTest {

  @TempDir Path dir;

  @Test
  void oldReadingsReadTheSameAfterTheMigrationAndNewOnesAreStoredCompactly() throws Exception {
    String location = dir.resolve("headend").toString();
    JdbcDataSource old = new JdbcDataSource();
    old.setURL(Database.jdbcUrl(location));
    CompactReadingsFixture.migrateToSchema15(old);
    CompactReadingsFixture.insertOldRows(old);
    try (Connection c = old.getConnection()) {
      c.createStatement().execute("SHUTDOWN");
    }

    try (Database db = Database.open(location, null, null)) {
      try (Connection c = db.connection();
          ResultSet rs = c.getMetaData().getTables(null, null, "READING_VALUE", null)) {
        assertThat(rs.next()).as("reading_value dropped").isFalse();
      }
      // m1's readings share one register set, m2 has its own
      assertThat(RetentionFixture.count(db, "SELECT COUNT(*) FROM register_set")).isEqualTo(2);
      assertThat(RetentionFixture.count(db, RetentionFixture.VALUES)).isEqualTo(3 * 3 + 1);
      try (ReadingStore store = new ReadingStore(db, 10, new SimpleMeterRegistry())) {
        CompactReadingsFixture.assertOldRowsReadable(store);
        java.time.Instant at = CompactReadingsFixture.T0.plusSeconds(30);
        store.append(CompactReadingsFixture.newReading("m1", at)).get(30, java.util.concurrent.TimeUnit.SECONDS);
        CompactReadingsFixture.assertNewReadingReadable(store, "m1", at);
      }
      // one row for the new reading, its registers stored once more as a set
      assertThat(RetentionFixture.count(db, "SELECT COUNT(*) FROM reading")).isEqualTo(6);
      assertThat(RetentionFixture.count(db, "SELECT COUNT(*) FROM register_set")).isEqualTo(3);
    }
  }
}
