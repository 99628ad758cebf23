package org.s3mp.headend;

import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import org.s3mp.headend.polling.DlmsMeterConnector;
import org.s3mp.headend.storage.Database;
import org.s3mp.headend.storage.SlowStorage;

/**
 * The head-end as its own process for the tests that kill it ({@code s3mp headend} lives in the app module,
 * which the head-end's tests cannot depend on). Arguments: the config file, optionally {@code --slow-storage}
 * (every reading insert is held until the process is told to stop, then slow, see {@link SlowStorage}). Prints
 * {@code listening URL}, and {@code push URL} when it has a push listener.
 */
public final class HeadendProcessMain {
  private HeadendProcessMain() {}

  public static void main(String[] args) throws Exception {
    HeadendConfig config = HeadendConfig.load(Path.of(args[0]));
    boolean slowStorage = args.length > 1 && args[1].equals("--slow-storage");
    if (slowStorage) {
      try (Database db = Database.open(config.database().url(), config.database().user(), config.database().password())) {
        SlowStorage.install(db);
      }
    }
    Headend headend = Headend.start(config, new DlmsMeterConnector(Duration.ofMillis(config.polling().timeoutMillis()),
        config.scion().daemon()));
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      // storage stays slow (each reading's rows 100 ms): the queue is still full while polling stops and drains
      SlowStorage.openSlowly(100);
      headend.close();
      stopped.countDown();
    }));
    headend.pushUrl().ifPresent(u -> System.out.println("push " + u));
    System.out.println("listening " + headend.baseUri());
    System.out.flush();
    stopped.await();
  }
}
