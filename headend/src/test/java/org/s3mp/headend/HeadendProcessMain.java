package org.s3mp.headend;

import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import org.s3mp.headend.polling.DlmsMeterConnector;

/**
 * The head-end as its own process for the tests that kill it ({@code s3mp headend} lives in the app module,
 * which the head-end's tests cannot depend on). Argument: the config file. Prints {@code listening URL}, and
 * {@code push URL} when it has a push listener.
 */
public final class HeadendProcessMain {
  private HeadendProcessMain() {}

  public static void main(String[] args) throws Exception {
    HeadendConfig config = HeadendConfig.load(Path.of(args[0]));
    Headend headend = Headend.start(config, new DlmsMeterConnector(Duration.ofMillis(config.polling().timeoutMillis()),
        config.scion().daemon()));
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      headend.close();
      stopped.countDown();
    }));
    headend.pushUrl().ifPresent(u -> System.out.println("push " + u));
    System.out.println("listening " + headend.baseUri());
    System.out.flush();
    stopped.await();
  }
}
