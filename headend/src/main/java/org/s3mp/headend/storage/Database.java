package org.s3mp.headend.storage;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;

/**
 * The head-end's database: an embedded H2 file (default, zero setup) or any JDBC URL (PostgreSQL), migrated
 * to the current schema by Flyway on open.
 */
public final class Database implements AutoCloseable {

  private final HikariDataSource dataSource;
  private final String description;
  private final boolean h2;

  private Database(HikariDataSource dataSource, String description, boolean h2) {
    this.dataSource = dataSource;
    this.description = description;
    this.h2 = h2;
  }

  /**
   * Opens {@code location}: a {@code jdbc:} URL, or else the path of an H2 file database (without the
   * {@code .mv.db} suffix; its directory is created).
   */
  public static Database open(String location, String user, String password) {
    String url = jdbcUrl(location);
    if (!location.startsWith("jdbc:")) {
      H2CrashRecovery.beforeOpen(Path.of(location).toAbsolutePath().normalize());
    }
    HikariConfig config = new HikariConfig();
    config.setJdbcUrl(url);
    if (user != null) {
      config.setUsername(user);
    }
    if (password != null) {
      config.setPassword(password);
    }
    if (url.startsWith("jdbc:postgresql:")) {
      // batched INSERTs go out as multi-row INSERTs (the reading writer itself uses COPY, see ReadingCopy)
      config.addDataSourceProperty("reWriteBatchedInserts", "true");
    }
    config.setMaximumPoolSize(8);
    config.setPoolName("headend-db");
    // fail at once (not after the pool's 30 s wait) when the database cannot be opened, e.g. a locked H2 file
    config.setInitializationFailTimeout(1);
    HikariDataSource ds;
    try {
      ds = new HikariDataSource(config);
    } catch (RuntimeException e) {
      Throwable cause = e.getCause() instanceof SQLException sql ? sql : e;
      throw new IllegalStateException(describeOpenFailure(location, cause), e);
    }
    try {
      Flyway.configure()
          .dataSource(ds)
          .locations("classpath:org/s3mp/headend/storage/migration")
          .javaMigrations(new V3__Structured_paths(), new V18__Compact_readings())
          .load()
          .migrate();
    } catch (RuntimeException e) {
      ds.close();
      throw new IllegalStateException("database migration failed for " + location + ": " + e.getMessage(), e);
    }
    boolean h2 = url.startsWith("jdbc:h2:");
    return new Database(ds, h2 ? "H2 " + location : location.replaceAll("password=[^&]*", "password=***"), h2);
  }

  static String jdbcUrl(String location) {
    if (location.startsWith("jdbc:")) {
      return location;
    }
    Path file = Path.of(location).toAbsolutePath().normalize();
    try {
      Files.createDirectories(file.getParent());
    } catch (java.io.IOException e) {
      throw new IllegalStateException("cannot create the database directory " + file.getParent() + ": " + e.getMessage(), e);
    }
    // WRITE_DELAY=0: every commit reaches the file before it returns, so an acknowledged reading survives
    // kill -9 of the head-end (the OS page cache holds it; H2 does not fsync each commit).
    // DB_CLOSE_ON_EXIT=FALSE: the head-end's own shutdown hook closes the database after the last queued
    // readings are written; H2's hook would close it under their feet.
    return "jdbc:h2:file:" + file + ";WRITE_DELAY=0;DB_CLOSE_ON_EXIT=FALSE";
  }

  private static String describeOpenFailure(String location, Throwable e) {
    String message = e.getMessage() == null ? e.toString() : e.getMessage();
    if (message.contains("already in use") || message.contains("locked")) {
      return "the database " + location + " is in use by another process (a running head-end?): stop it first,"
          + " or use PostgreSQL for shared access";
    }
    return "cannot open the database " + location + ": " + message.lines().findFirst().orElse("");
  }

  /**
   * Call after a commit whose result is acknowledged (returned by the API, streamed): on H2 a CHECKPOINT writes
   * the store to its file before the caller goes on (PostgreSQL's commit is durable by itself). That the commit
   * is then also found again after kill -9 takes {@link H2CrashRecovery} at the next open.
   */
  public void makeDurable(Connection c) throws SQLException {
    if (h2) {
      try (java.sql.Statement s = c.createStatement()) {
        s.execute("CHECKPOINT");
      }
    }
  }

  /** Held by every writing connection: one writer at a time (see {@link #writeConnection()}). */
  private final java.util.concurrent.locks.ReentrantLock writeLock = new java.util.concurrent.locks.ReentrantLock();

  /**
   * A connection for writes: only one is handed out at a time, and it is released by {@code close()}. With
   * concurrent committing sessions H2 lost acknowledged commits on kill -9 (AuditDurabilityIT: audit entries of
   * the API lost while the reading writer committed); one writer at a time, each write checkpointed, does not.
   * Reads use {@link #connection()} and are not held up.
   */
  public Connection writeConnection() throws SQLException {
    if (!h2) {
      return connection();
    }
    writeLock.lock();
    Connection c;
    try {
      c = dataSource.getConnection();
    } catch (SQLException | RuntimeException e) {
      writeLock.unlock();
      throw e;
    }
    java.util.concurrent.atomic.AtomicBoolean released = new java.util.concurrent.atomic.AtomicBoolean();
    return (Connection) java.lang.reflect.Proxy.newProxyInstance(Connection.class.getClassLoader(),
        new Class<?>[] {Connection.class}, (proxy, method, args) -> {
          if (method.getName().equals("close") && method.getParameterCount() == 0) {
            try {
              c.close();
            } finally {
              if (released.compareAndSet(false, true)) {
                writeLock.unlock();
              }
            }
            return null;
          }
          try {
            return method.invoke(c, args);
          } catch (java.lang.reflect.InvocationTargetException e) {
            throw e.getCause();
          }
        });
  }

  /** A unit of work done on the connection of a write transaction. */
  @FunctionalInterface
  public interface Work<T> {
    T run(Connection c) throws SQLException;
  }

  /**
   * Runs {@code work} in one write transaction on a {@link #writeConnection()}: committed and then made durable
   * ({@link #makeDurable}) when it returns, rolled back when it throws. Returns what the work returned.
   */
  public <T> T inWriteTransaction(Work<T> work) throws SQLException {
    return inWriteTransaction(work, result -> true);
  }

  /**
   * Like {@link #inWriteTransaction(Work)}, but the commit is made durable only where {@code durable} holds for
   * the work's result: a transaction that wrote nothing acknowledged need not cost H2 a CHECKPOINT.
   */
  public <T> T inWriteTransaction(Work<T> work, java.util.function.Predicate<? super T> durable) throws SQLException {
    try (Connection c = writeConnection()) {
      c.setAutoCommit(false);
      try {
        T result = work.run(c);
        c.commit();
        if (durable.test(result)) {
          makeDurable(c);
        }
        return result;
      } catch (SQLException | RuntimeException e) {
        try {
          c.rollback();
        } catch (SQLException rollback) {
          // the work's failure is the one to report; a connection that cannot roll back is dropped by the pool
          e.addSuppressed(rollback);
        }
        throw e;
      }
      // auto-commit needs no resetting: the pool resets what a borrower changed when the connection is closed
    }
  }

  /**
   * Whether several head-end instances may share this database (PostgreSQL); H2 is an embedded file one
   * process opens.
   */
  public boolean shared() {
    return !h2;
  }

  public DataSource dataSource() {
    return dataSource;
  }

  public Connection connection() throws SQLException {
    return dataSource.getConnection();
  }

  public String description() {
    return description;
  }

  @Override
  public void close() {
    dataSource.close();
  }

  /** Database timestamps have microsecond precision; keys built from instants must match what is stored. */
  public static Instant truncate(Instant t) {
    return t.truncatedTo(ChronoUnit.MICROS);
  }

  public static OffsetDateTime toDb(Instant t) {
    return OffsetDateTime.ofInstant(truncate(t), ZoneOffset.UTC);
  }

  public static Instant fromDb(java.sql.ResultSet rs, String column) throws SQLException {
    OffsetDateTime t = rs.getObject(column, OffsetDateTime.class);
    return t == null ? null : t.toInstant();
  }

}
