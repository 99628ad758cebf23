package org.s3mp.headend.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link Database#inWriteTransaction}: all of a unit of work is stored, or none of it. */
class WriteTransactionTest {

  @TempDir Path dir;
  Database db;

  @BeforeEach
  void open() {
    db = Database.open(dir.resolve("db").toString(), null, null);
  }

  @AfterEach
  void close() {
    db.close();
  }

  @Test
  void aUnitOfWorkThatReturnsIsCommittedAndItsResultReturned() throws Exception {
    int result = db.inWriteTransaction(c -> {
      counter(c, "m1", 7);
      counter(c, "m2", 8);
      return 42;
    });
    assertThat(result).isEqualTo(42);
    assertThat(stored("m1")).isEqualTo(7);
    assertThat(stored("m2")).isEqualTo(8);
  }

  @Test
  void aUnitOfWorkThatThrowsIsRolledBackAndItsFailureReported() throws Exception {
    assertThatThrownBy(() -> db.inWriteTransaction(c -> {
      counter(c, "m1", 7);
      throw new IllegalStateException("halfway");
    })).isInstanceOf(IllegalStateException.class).hasMessage("halfway");
    assertThatThrownBy(() -> db.inWriteTransaction(c -> {
      counter(c, "m1", 7);
      counter(c, "m1", 8); // the primary key refuses a second row
      return null;
    })).isInstanceOf(SQLException.class);
    assertThat(stored("m1")).isNull();
  }

  @Test
  void theConnectionIsBackInAutoCommitAfterwards() throws Exception {
    db.inWriteTransaction(c -> null);
    try (Connection c = db.writeConnection()) {
      assertThat(c.getAutoCommit()).isTrue();
    }
  }

  private static void counter(Connection c, String meterId, long value) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("INSERT INTO push_counter (meter_id, last_counter) VALUES (?, ?)")) {
      ps.setString(1, meterId);
      ps.setLong(2, value);
      ps.executeUpdate();
    }
  }

  private Long stored(String meterId) throws SQLException {
    try (Connection c = db.connection();
        PreparedStatement ps = c.prepareStatement("SELECT last_counter FROM push_counter WHERE meter_id = ?")) {
      ps.setString(1, meterId);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? rs.getLong(1) : null;
      }
    }
  }
}
