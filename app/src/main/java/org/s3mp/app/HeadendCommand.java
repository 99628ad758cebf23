package org.s3mp.app;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.s3mp.headend.Headend;
import org.s3mp.headend.HeadendConfig;
import org.s3mp.headend.polling.DlmsMeterConnector;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code s3mp headend}: the head-end system (meter polling, REST API, dashboard) until Ctrl-C. */
@Command(
    name = "headend",
    mixinStandardHelpOptions = true,
    description = "The head-end: polls the meters of its registry, stores readings, serves the REST API"
        + " (/api/openapi.json) and the dashboard (default http://" + HeadendConfig.DEFAULT_BIND + "). Runs until"
        + " Ctrl-C. Config file format: headend/README-config.md.")
final class HeadendCommand implements Callable<Integer> {

  @Option(names = "--config", paramLabel = "FILE", description = "YAML config file (meters, tokens, database, TLS).")
  Path config;

  @Option(names = "--http", paramLabel = "ADDR:PORT",
      description = "Where to serve HTTP (overrides the config; default " + HeadendConfig.DEFAULT_BIND + ").")
  String http;

  @Option(names = "--db", paramLabel = "PATH|JDBC-URL",
      description = "H2 database file (default run/headend/headend) or a JDBC URL such as"
          + " jdbc:postgresql://127.0.0.1/s3mp (overrides the config).")
  String db;

  @Option(names = "--instance", paramLabel = "NAME",
      description = "This instance's name when several head-ends share one PostgreSQL database (they split the"
          + " meters between them by leases; default: host name and process id).")
  String instance;

  @Option(names = "--keys-dir", paramLabel = "DIR",
      description = "The only directory meter keys files may be in (overrides the config; default"
          + " run/headend/keys).")
  Path keysDir;

  static HeadendConfig loadConfig(Path config, String db) {
    HeadendConfig c = config == null ? HeadendConfig.empty() : HeadendConfig.load(config);
    return db == null ? c : c.withDatabase(db);
  }

  @Override
  public Integer call() throws Exception {
    HeadendConfig c = loadConfig(config, db);
    if (http != null) {
      c = c.withBind(http);
    }
    if (keysDir != null) {
      c = c.withKeysDirectory(keysDir.toAbsolutePath().toString());
    }
    Headend headend = Headend.start(c, new DlmsMeterConnector(c.scion().daemon()), instance);
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      try {
        headend.close();
      } finally {
        stopped.countDown();
      }
    }, "headend-shutdown"));
    headend.pushUrl().ifPresent(u -> System.out.println("s3mp headend: push listener on " + u));
    System.out.println("s3mp headend: listening on " + headend.baseUri() + " (dashboard, API at /api, Ctrl-C stops)");
    System.out.flush();
    stopped.await();
    return 0;
  }
}
