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
 * (every reading insert is held until the process is told to stop, then slow, see {@link SlowStorage}) and
 * {@code --instance NAME} (the head-end instance's name on a shared database). Prints
 * {@code listening URL}, and {@code push URL} when it has a push listener.
 */
public final class HeadendProcessMain {
  private HeadendProcessMain() {}

  /**
   * Starts the head-end on {@code config} as a child process logging to {@code DIR/NAME.log} and waits until it
   * listens; {@code more} are the optional arguments above.
   */
  static ChildProcess start(Path dir, Path config, String name, String... more) throws java.io.IOException {
    return start(dir, config, name, java.util.Map.of(), more);
  }

  /** As above with environment variables for the head-end (e.g. its master key). */
  static ChildProcess start(Path dir, Path config, String name, java.util.Map<String, String> env, String... more)
      throws java.io.IOException {
    ChildProcess p = spawn(dir, config, name, env, more);
    try {
      p.awaitLines("listening ", 1, Duration.ofSeconds(60));
    } catch (RuntimeException | Error e) {
      p.close();
      throw e;
    }
    return p;
  }

  /** Starts the head-end process without waiting for it (e.g. to see it refuse to start). */
  static ChildProcess spawn(Path dir, Path config, String name, java.util.Map<String, String> env, String... more)
      throws java.io.IOException {
    java.util.List<String> args = new java.util.ArrayList<>(java.util.List.of(config.toString()));
    args.addAll(java.util.List.of(more));
    return ChildProcess.java(name, dir.resolve(name + ".log"), java.util.List.of("-Xmx256m"),
        HeadendProcessMain.class.getName(), args, env);
  }

  /** Where the head-end started by {@link #start} serves its API (the last {@code listening} line). */
  static java.net.URI baseUri(ChildProcess p) {
    return java.net.URI.create(lastLine(p, "listening "));
  }

  /** Where its push listener listens. */
  static String pushUrl(ChildProcess p) {
    return lastLine(p, "push ");
  }

  private static String lastLine(ChildProcess p, String prefix) {
    return p.stdout().stream().filter(l -> l.startsWith(prefix)).reduce((a, b) -> b).orElseThrow()
        .substring(prefix.length()).trim();
  }

  public static void main(String[] args) throws Exception {
    HeadendConfig config = HeadendConfig.load(Path.of(args[0]));
    java.util.List<String> options = java.util.List.of(args).subList(1, args.length);
    boolean slowStorage = options.contains("--slow-storage");
    int instanceAt = options.indexOf("--instance");
    String instance = instanceAt < 0 ? null : options.get(instanceAt + 1);
    if (slowStorage) {
      try (Database db = Database.open(config.database().url(), config.database().user(), config.database().password())) {
        SlowStorage.install(db);
      }
    }
    Headend headend = Headend.start(config, new DlmsMeterConnector(config.scion().daemon()), instance);
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
