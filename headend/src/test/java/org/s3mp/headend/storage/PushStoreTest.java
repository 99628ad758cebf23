package org.s3mp.headend.storage;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigDecimal;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.s3mp.headend.fleet.Reading;
import org.s3mp.headend.fleet.RegisterValue;

/** The push counters: durable with what their notification brought, not before and not later. */
class PushStoreTest {

  @TempDir Path dir;

  @Test
  void aCounterIsWrittenWithThePushedReadingAndSurvivesARestart() throws Exception {
    try (Database db = Database.open(dir.resolve("db").toString(), null, null)) {
      PushStore pushes = new PushStore(db);
      assertThat(pushes.lastAccepted("m1")).isEqualTo(-1);
      pushes.accepted("m1", 41);
      pushes.accepted("m1", 42);
      assertThat(pushes.lastAccepted("m1")).isEqualTo(42);
      assertThat(new PushStore(db).lastAccepted("m1")).as("not durable before its reading").isEqualTo(-1);

      try (ReadingStore readings = new ReadingStore(db)) {
        readings.writeAlso(pushes);
        readings.append(new Reading("m1", Instant.parse("2026-12-07T12:00:00Z"), "register", null, 0, null,
            List.of(new RegisterValue("1.0.1.8.0.255", BigDecimal.TEN, "Wh")), Reading.PUSH))
            .get(30, TimeUnit.SECONDS);
      }
      assertThat(new PushStore(db).lastAccepted("m1")).as("durable with its reading").isEqualTo(42);

      pushes.accepted("m1", 50);
      pushes.accepted("m2", 7);
      pushes.addEvent(new PushStore.PushedEvent("m1", Instant.now(), Instant.now(), "DISCONNECT", false, 50));
      PushStore restarted = new PushStore(db);
      assertThat(restarted.lastAccepted("m1")).as("durable with its event").isEqualTo(50);
      assertThat(restarted.lastAccepted("m2")).isEqualTo(7);
    }
  }

  @Test
  void newKeysRestartTheCounterAndTheOldKeysCounterIsNotWrittenBack() throws Exception {
    try (Database db = Database.open(dir.resolve("db").toString(), null, null)) {
      PushStore pushes = new PushStore(db);
      pushes.accepted("m1", 9);
      pushes.addEvent(new PushStore.PushedEvent("m1", Instant.now(), Instant.now(), "DISCONNECT", false, 9));
      pushes.accepted("m1", 10); // under the old keys, not written yet
      // the key store confirms new keys and resets the counter in its transaction
      try (java.sql.Connection c = db.connection(); java.sql.Statement st = c.createStatement()) {
        st.execute("DELETE FROM push_counter WHERE meter_id = 'm1'");
      }
      pushes.keysChanged("m1");
      assertThat(pushes.lastAccepted("m1")).as("counted afresh under the new keys").isEqualTo(-1);
      pushes.accepted("m2", 3);
      pushes.addEvent(new PushStore.PushedEvent("m2", Instant.now(), Instant.now(), "DISCONNECT", false, 3));
      assertThat(new PushStore(db).lastAccepted("m1")).as("the old keys' 10 not written back").isEqualTo(-1);
      assertThat(new PushStore(db).lastAccepted("m2")).isEqualTo(3);
    }
  }
}
