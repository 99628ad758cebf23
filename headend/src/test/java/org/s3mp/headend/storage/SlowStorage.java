package org.s3mp.headend.storage;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.h2.api.Trigger;

/**
 * A deliberately slow store for tests: an H2 trigger that holds every insert into {@code reading} until the test
 * opens the gate (at once, or to a slow pace). One gate per JVM (tests in one class run one after another).
 */
public final class SlowStorage implements Trigger {

  private static volatile CountDownLatch gate = new CountDownLatch(0);
  private static volatile long millisPerRow;
  private static final AtomicInteger held = new AtomicInteger();

  /** Installs the trigger on {@code db} and closes the gate. */
  public static void install(Database db) throws SQLException {
    gate = new CountDownLatch(1);
    millisPerRow = 0;
    try (Connection c = db.connection(); Statement s = c.createStatement()) {
      s.execute("CREATE TRIGGER slow_storage BEFORE INSERT ON reading FOR EACH ROW CALL \""
          + SlowStorage.class.getName() + "\"");
    }
  }

  /** Lets every held and future insert through. */
  public static void open() {
    gate.countDown();
  }

  /** Lets inserts through, each row taking {@code millis} (a slow disk, not a stuck one). */
  public static void openSlowly(long millis) {
    millisPerRow = millis;
    gate.countDown();
  }

  /** Inserts waiting at the gate now. */
  public static int held() {
    return held.get();
  }

  @Override
  public void fire(Connection conn, Object[] oldRow, Object[] newRow) throws SQLException {
    held.incrementAndGet();
    try {
      if (!gate.await(60, TimeUnit.SECONDS)) {
        throw new SQLException("the test never opened the gate");
      }
      if (millisPerRow > 0) {
        Thread.sleep(millisPerRow);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new SQLException(e);
    } finally {
      held.decrementAndGet();
    }
  }
}
