package org.s3mp.headend.storage;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A throw-away PostgreSQL server (Debian's package) in a temporary folder on 127.0.0.1, run as the unprivileged
 * {@code postgres} user, tracked by PID and stopped by it: for the tests and {@code s3mp bench fleet --db
 * postgres}, never for production data ({@code --no-sync}, trust authentication on loopback).
 */
public final class LocalPostgres implements AutoCloseable {

  private final Path dir;
  private final Process server;
  private final int port;
  /** Stops the server when its JVM is stopped (SIGTERM, Ctrl-C) before it was closed. */
  private final Thread stopAtExit;

  private LocalPostgres(Path dir, Process server, int port) {
    this.dir = dir;
    this.server = server;
    this.port = port;
    this.stopAtExit = new Thread(() -> {
      try {
        close();
      } catch (IOException e) {
        // exiting: nothing left to tell
      }
    }, "stop-postgres-" + server.pid());
    Runtime.getRuntime().addShutdownHook(stopAtExit);
  }

  public static LocalPostgres start() throws Exception {
    Path bin = findBin();
    Path dir = Files.createTempDirectory("s3mp-pg-");
    run(List.of("chown", "postgres:postgres", dir.toString()));
    Path data = dir.resolve("data");
    run(asPostgres(bin.resolve("initdb").toString(), "-D", data.toString(), "-A", "trust", "-U", "s3mp", "-E", "UTF8",
        "--no-sync"));
    int port;
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      port = s.getLocalPort();
    }
    ProcessBuilder pb = new ProcessBuilder(asPostgres(bin.resolve("postgres").toString(), "-D", data.toString(),
        "-k", dir.toString(), "-h", "127.0.0.1", "-p", Integer.toString(port), "-F"));
    pb.redirectErrorStream(true);
    pb.redirectOutput(dir.resolve("server.log").toFile());
    Process server = pb.start();
    LocalPostgres pg = new LocalPostgres(dir, server, port);
    try {
      long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
      while (!accepting(pg)) {
        if (!server.isAlive()) {
          throw new IOException("postgres exited: " + log(dir));
        }
        if (System.nanoTime() > deadline) {
          throw new IOException("PostgreSQL did not accept connections within 60 s: " + log(dir));
        }
        Thread.sleep(100); // polling the server's port: it has no other way to say that it is ready
      }
      try (Connection c = DriverManager.getConnection(pg.url("postgres")); Statement st = c.createStatement()) {
        st.execute("CREATE DATABASE s3mp");
      }
    } catch (Exception | Error e) {
      pg.close();
      throw e;
    }
    return pg;
  }

  private static boolean accepting(LocalPostgres pg) {
    try (Connection c = DriverManager.getConnection(pg.url("postgres"))) {
      return true;
    } catch (SQLException e) {
      return false;
    }
  }

  /** The server's process id. */
  public long pid() {
    return server.pid();
  }

  public String url(String database) {
    return "jdbc:postgresql://127.0.0.1:" + port + "/" + database + "?user=s3mp";
  }

  public String url() {
    return url("s3mp");
  }

  @Override
  public void close() throws IOException {
    if (Thread.currentThread() != stopAtExit) {
      try {
        Runtime.getRuntime().removeShutdownHook(stopAtExit);
      } catch (IllegalStateException exiting) {
        // the hook runs (or ran) anyway
      }
    }
    try {
      server.destroy(); // SIGTERM: smart shutdown
      if (!server.waitFor(15, TimeUnit.SECONDS)) {
        server.destroyForcibly();
        server.waitFor(5, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      server.destroyForcibly();
    }
    try (Stream<Path> files = Files.walk(dir)) {
      files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }

  private static List<String> asPostgres(String... command) {
    List<String> cmd = new ArrayList<>(List.of("setpriv", "--reuid=postgres", "--regid=postgres", "--clear-groups", "--"));
    cmd.addAll(List.of(command));
    return cmd;
  }

  private static Path findBin() throws IOException {
    try (Stream<Path> versions = Files.list(Path.of("/usr/lib/postgresql"))) {
      return versions.map(v -> v.resolve("bin")).filter(b -> Files.isExecutable(b.resolve("postgres")))
          .max(Comparator.naturalOrder())
          .orElseThrow(() -> new IOException("PostgreSQL is not installed (Debian package postgresql)"));
    }
  }

  private static void run(List<String> command) throws Exception {
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes());
    if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0) {
      throw new IOException(String.join(" ", command) + " failed: " + out);
    }
  }

  private static String log(Path dir) {
    try {
      return Files.readString(dir.resolve("server.log"));
    } catch (IOException e) {
      return "(no log)";
    }
  }
}
