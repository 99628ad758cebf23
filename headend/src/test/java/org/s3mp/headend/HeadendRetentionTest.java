package org.s3mp.headend;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.s3mp.headend.storage.Database;

/** database.retentionDays in the config: the head-end deletes what is older at start, and only with it set. */
class HeadendRetentionTest {

  @TempDir Path dir;

  @Test
  void aHeadEndWithRetentionDeletesOldReadingsAtStartOneWithoutKeepsThem() throws Exception {
    String db = dir.resolve("db/headend").toString();
    Instant old = Instant.now().minus(Duration.ofDays(31));
    Instant recent = Instant.now().minus(Duration.ofDays(29));
    try (Database d = Database.open(db, null, null); Connection c = d.connection();
        PreparedStatement ps = c.prepareStatement("INSERT INTO reading (meter_id, read_at, kind, latency_ms)"
            + " VALUES ('m1', ?, 'register', 1.0)")) {
      for (Instant t : new Instant[] {old, recent}) {
        ps.setObject(1, Database.toDb(t));
        ps.executeUpdate();
      }
    }
    // without the setting every reading is kept
    try (Headend headend = Headend.start(config(db, null), new FakeMeters())) {
      assertThat(headend.metrics().find("headend.retention.deleted").counters()).isEmpty();
    }
    assertThat(readings(db)).isEqualTo(2);

    try (Headend headend = Headend.start(config(db, 30), new FakeMeters())) {
      Conditions.await("the old reading deleted at start", Duration.ofSeconds(30), () ->
          headend.metrics().get("headend.retention.deleted").tag("table", "reading").counter().count() == 1);
    }
    assertThat(readings(db)).isEqualTo(1);
  }

  private static HeadendConfig config(String db, Integer retentionDays) {
    return new HeadendConfig(new HeadendConfig.Http("127.0.0.1:0", null),
        new HeadendConfig.Database(db, null, null, null, retentionDays), null, List.of(), List.of()).withDefaults();
  }

  private static long readings(String db) throws Exception {
    try (Database d = Database.open(db, null, null); Connection c = d.connection();
        PreparedStatement ps = c.prepareStatement("SELECT COUNT(*) FROM reading"); ResultSet rs = ps.executeQuery()) {
      rs.next();
      return rs.getLong(1);
    }
  }
}
