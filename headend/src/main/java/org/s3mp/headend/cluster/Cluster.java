package org.s3mp.headend.cluster;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.s3mp.headend.fleet.FleetRegistry;
import org.s3mp.headend.fleet.MeterSpec;
import org.s3mp.headend.polling.FleetPoller;
import org.s3mp.headend.polling.MeterStatus;
import org.s3mp.headend.polling.MeterUnavailableException;
import org.s3mp.headend.polling.RemoteMeters;
import org.s3mp.headend.storage.Database;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Several head-end instances on one PostgreSQL database split the fleet between them with leases in that
 * database, and no coordinator of their own.
 *
 * <p>Why a lease table and not db-scheduler: db-scheduler runs short executions of scheduled tasks, each
 * picked by whichever instance polls first. A meter session is the opposite: one long-lived DLMS association
 * that is kept open, read every second or poll period, and commanded on the same association; handing each
 * read to a random instance would open a new association per read (several DLMS exchanges with key
 * derivation). What we need is ownership of a meter for as long as an instance is alive, which is three SQL
 * statements ({@code UPDATE ... WHERE expires_at < now()} with {@code FOR UPDATE SKIP LOCKED}), so no new
 * dependency.
 *
 * <p>Every {@link #RENEW_EVERY} an instance renews its leases and heartbeat, counts the live instances, and
 * takes free or expired leases up to its fair share {@code ceil(meters / instances)}, or gives up those above
 * it (so that a new instance gets meters). A killed instance's leases expire after {@link #LEASE}; the others
 * take them at their next renewal. Times are the database's, so the instances' clocks do not matter.
 *
 * <p>Commands accepted by an instance for a meter another instance holds go through {@code meter_command}: the
 * holder claims a pending row with one UPDATE (so exactly one instance sends it) and writes the outcome back;
 * the accepting instance waits for it and audits it, as it does a local command. Every other operation that needs
 * the meter's association (read-now, clock, push settings, profile collection, key rotation) goes the same way,
 * with the holder's result as JSON. A command claimed by an instance that then died is failed (not retried: see
 * {@link #failOrphanedCommands}).
 */
public final class Cluster implements RemoteMeters, AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(Cluster.class);

  /** How long a lease lasts without renewal: a killed instance's meters are taken over after this. */
  static final Duration LEASE = Duration.ofSeconds(8);
  static final Duration RENEW_EVERY = Duration.ofSeconds(2);
  /** How often pending commands for held meters are looked for, and a waiting command's row is checked. */
  static final Duration COMMAND_POLL = Duration.ofMillis(150);
  /** A command no instance claimed within this is expired (never sent) and fails. */
  static final Duration UNCLAIMED = Duration.ofSeconds(20);
  /** A command claimed but not answered within this fails here with a timeout (the API waits 30 s). */
  static final Duration UNANSWERED = Duration.ofSeconds(25);

  private final Database db;
  private final String instance;
  private final FleetPoller poller;
  private final FleetRegistry registry;
  private final ScheduledExecutorService scheduler = Executors.newScheduledThreadPool(2, r -> {
    Thread t = new Thread(r, "cluster");
    t.setDaemon(true);
    return t;
  });
  /**
   * Stops sessions off the renewal thread: closing a session waits for its read in progress (up to the meter
   * timeout, longer than a lease), and renewal blocked that long would let every lease of this instance expire.
   */
  private final java.util.concurrent.ExecutorService releaser = Executors.newCachedThreadPool(r -> {
    Thread t = new Thread(r, "cluster-release");
    t.setDaemon(true);
    return t;
  });
  /** Meters whose session is being stopped: not counted as held, their lease kept until the session stopped. */
  private final Set<String> releasing = java.util.concurrent.ConcurrentHashMap.newKeySet();
  private volatile long lastRenewedNanos = System.nanoTime();
  private volatile boolean closed;
  private volatile boolean leaving;

  public Cluster(Database db, String instance, FleetPoller poller, FleetRegistry registry) {
    this.db = db;
    this.instance = instance;
    this.poller = poller;
    this.registry = registry;
  }

  /** Joins the cluster: takes this instance's share of the meters now, then keeps its leases renewed. */
  public void start() {
    poller.shareWith(this);
    renew();
    scheduler.scheduleWithFixedDelay(this::renewQuietly, RENEW_EVERY.toMillis(), RENEW_EVERY.toMillis(),
        TimeUnit.MILLISECONDS);
    scheduler.scheduleWithFixedDelay(this::runPendingCommandsQuietly, COMMAND_POLL.toMillis(),
        COMMAND_POLL.toMillis(), TimeUnit.MILLISECONDS);
  }

  public String instance() {
    return instance;
  }

  /**
   * Takes no more meters or commands, but goes on renewing the leases held: call before the poller is closed
   * (its reads in progress may take a while to be stored), then {@link #close()} to give the leases up.
   */
  public void stopTaking() {
    leaving = true;
  }

  private void stopRenewing() {
    leaving = true;
    closed = true;
    scheduler.shutdown();
    releaser.shutdown();
    try {
      scheduler.awaitTermination(10, TimeUnit.SECONDS);
      releaser.awaitTermination(15, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Gives up this instance's leases (after its sessions have stopped), so that the others take them at once. */
  @Override
  public void close() {
    stopRenewing();
    try (Connection c = db.connection()) {
      try (PreparedStatement ps = c.prepareStatement(
          "UPDATE meter_lease SET instance = NULL, expires_at = now() WHERE instance = ?")) {
        ps.setString(1, instance);
        int n = ps.executeUpdate();
        log.info("instance {}: released {} meter leases", instance, n);
      }
      try (PreparedStatement ps = c.prepareStatement("DELETE FROM headend_instance WHERE name = ?")) {
        ps.setString(1, instance);
        ps.executeUpdate();
      }
    } catch (SQLException e) {
      log.warn("instance {}: releasing the leases failed ({}); they expire in {} s", instance, e.getMessage(),
          LEASE.toSeconds());
    }
  }

  // --- leases ---

  private void renewQuietly() {
    try {
      renew();
    } catch (RuntimeException e) {
      // without renewal our leases run out and others take the meters: stop polling before they do
      if (System.nanoTime() - lastRenewedNanos > LEASE.minus(RENEW_EVERY).toNanos()) {
        log.error("instance {}: leases not renewed for {} s ({}): stopping to poll its meters", instance,
            LEASE.minus(RENEW_EVERY).toSeconds(), e.getMessage());
        poller.held().forEach(id -> stopSession(id, false));
      } else {
        log.warn("instance {}: lease renewal failed: {}", instance, e.getMessage());
      }
    }
  }

  /** One renewal round (see the class comment). */
  synchronized void renew() {
    if (closed) {
      return;
    }
    long started = System.nanoTime();
    Set<String> owned = new HashSet<>();
    int live;
    int total;
    try (Connection c = db.connection()) {
      try (PreparedStatement ps = c.prepareStatement(
          "INSERT INTO headend_instance (name, started_at, heartbeat_at) VALUES (?, now(), now())"
              + " ON CONFLICT (name) DO UPDATE SET heartbeat_at = now()")) {
        ps.setString(1, instance);
        ps.executeUpdate();
      }
      try (PreparedStatement ps = c.prepareStatement(
          "DELETE FROM headend_instance WHERE heartbeat_at < now() - interval '1 hour'")) {
        ps.executeUpdate(); // killed instances leave their row behind; it no longer counts after one lease anyway
      }
      try (PreparedStatement ps = c.prepareStatement(
          "INSERT INTO meter_lease (meter_id, instance, expires_at) SELECT id, NULL, now() FROM meter"
              + " ON CONFLICT (meter_id) DO NOTHING")) {
        ps.executeUpdate();
      }
      try (PreparedStatement ps = c.prepareStatement(
          "UPDATE meter_lease SET expires_at = now() + ? * interval '1 millisecond' WHERE instance = ?"
              + " AND expires_at > now() RETURNING meter_id")) {
        ps.setLong(1, LEASE.toMillis());
        ps.setString(2, instance);
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            owned.add(rs.getString(1));
          }
        }
      }
      lastRenewedNanos = started;
      owned.removeAll(releasing);
      failOrphanedCommands(c);
      if (leaving) {
        return; // stopping: keep what is held until the sessions have stopped, take nothing new
      }
      try (PreparedStatement ps = c.prepareStatement(
          "SELECT (SELECT count(*) FROM headend_instance WHERE heartbeat_at > now() - ? * interval '1 millisecond'),"
              + " (SELECT count(*) FROM meter_lease)");
          ResultSet rs = bind(ps, LEASE.toMillis()).executeQuery()) {
        rs.next();
        live = Math.max(1, rs.getInt(1));
        total = rs.getInt(2);
      }
      int share = (total + live - 1) / live;
      if (owned.size() < share) {
        try (PreparedStatement ps = c.prepareStatement(
            "UPDATE meter_lease SET instance = ?, expires_at = now() + ? * interval '1 millisecond'"
                + " WHERE meter_id IN (SELECT meter_id FROM meter_lease WHERE expires_at <= now()"
                + " ORDER BY meter_id LIMIT ? FOR UPDATE SKIP LOCKED) RETURNING meter_id")) {
          ps.setString(1, instance);
          ps.setLong(2, LEASE.toMillis());
          ps.setInt(3, share - owned.size());
          try (ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
              owned.add(rs.getString(1));
            }
          }
        }
      }
      // stop what we no longer own (deleted meters, leases lost while renewal failed) and what is above our share
      List<String> surplus = new ArrayList<>(owned);
      surplus.sort(null);
      surplus = owned.size() > share ? surplus.subList(share, surplus.size()) : List.of();
      for (String id : poller.held()) {
        if (!owned.contains(id)) {
          stopSession(id, false);
        }
      }
      for (String id : surplus) {
        stopSession(id, true);
      }
      if (!surplus.isEmpty()) {
        owned.removeAll(surplus);
        log.info("instance {}: giving up {} meters for the other instances ({} instances, share {})", instance,
            surplus.size(), live, share);
      }
      Set<String> held = poller.held();
      Map<String, Boolean> continuousFlags = registry.continuousFlags();
      int taken = 0;
      for (MeterSpec spec : registry.all()) {
        if (owned.contains(spec.id())) {
          boolean continuous = continuousFlags.getOrDefault(spec.id(), false);
          if (!held.contains(spec.id())) {
            poller.hold(spec, continuous);
            taken++;
          } else {
            poller.followContinuous(spec.id(), continuous);
          }
        }
      }
      if (taken > 0) {
        log.info("instance {}: took {} meter leases ({} held, {} instances, {} meters)", instance, taken,
            owned.size(), live, total);
      }
      publish(c);
    } catch (SQLException e) {
      throw new IllegalStateException("lease renewal: " + e.getMessage(), e);
    }
  }

  /**
   * Stops polling a meter on the release thread; with {@code giveUpLease}, its lease is released once the session
   * has stopped (so the next holder never talks to the meter while this session still does), else it is simply
   * not renewed any longer (lost, or the meter was deleted).
   */
  private void stopSession(String id, boolean giveUpLease) {
    if (!releasing.add(id)) {
      return;
    }
    try {
      releaser.execute(() -> {
        try {
          poller.release(id);
          if (giveUpLease) {
            giveUp(id);
          }
        } finally {
          releasing.remove(id);
        }
      });
    } catch (java.util.concurrent.RejectedExecutionException e) {
      releasing.remove(id); // closing: close() stops the sessions and releases every lease itself
    }
  }

  private void giveUp(String id) {
    try (Connection c = db.connection();
        PreparedStatement ps = c.prepareStatement(
            "UPDATE meter_lease SET instance = NULL, expires_at = now() WHERE meter_id = ? AND instance = ?")) {
      ps.setString(1, id);
      ps.setString(2, instance);
      ps.executeUpdate();
    } catch (SQLException e) {
      log.warn("instance {}: giving up the lease of meter {} failed ({}); it expires in {} s", instance, id,
          e.getMessage(), LEASE.toSeconds());
    }
  }

  /**
   * Writes what this instance knows of its meters into their lease rows, for the other instances' APIs: one
   * UPDATE over arrays (2,000 single-row UPDATEs every renewal competed with the reading writer).
   */
  private void publish(Connection c) throws SQLException {
    List<MeterStatus> statuses = poller.heldStatuses();
    if (statuses.isEmpty()) {
      return;
    }
    int n = statuses.size();
    String[] ids = new String[n];
    Boolean[] connected = new Boolean[n];
    String[] relays = new String[n];
    java.sql.Timestamp[] readAt = new java.sql.Timestamp[n];
    String[] errors = new String[n];
    Double[] drifts = new Double[n];
    java.sql.Timestamp[] clockAt = new java.sql.Timestamp[n];
    for (int i = 0; i < n; i++) {
      MeterStatus s = statuses.get(i);
      ids[i] = s.spec().id();
      connected[i] = s.connected();
      relays[i] = s.relay();
      readAt[i] = s.lastReadingAt() == null ? null : java.sql.Timestamp.from(Database.truncate(s.lastReadingAt()));
      errors[i] = s.lastError() == null || s.lastError().length() <= 2048 ? s.lastError()
          : s.lastError().substring(0, 2048);
      drifts[i] = s.clockDriftSeconds();
      clockAt[i] = s.clockCheckedAt() == null ? null : java.sql.Timestamp.from(Database.truncate(s.clockCheckedAt()));
    }
    try (PreparedStatement ps = c.prepareStatement(
        "UPDATE meter_lease l SET connected = v.connected, relay = v.relay, last_reading_at = v.read_at,"
            + " last_error = v.error, clock_drift = v.drift, clock_checked_at = v.clock_at"
            + " FROM unnest(?::varchar[], ?::boolean[], ?::varchar[], ?::timestamptz[], ?::varchar[],"
            + " ?::float8[], ?::timestamptz[]) AS v(meter_id, connected, relay, read_at, error, drift, clock_at)"
            + " WHERE l.meter_id = v.meter_id AND l.instance = ?")) {
      ps.setArray(1, c.createArrayOf("varchar", ids));
      ps.setArray(2, c.createArrayOf("boolean", connected));
      ps.setArray(3, c.createArrayOf("varchar", relays));
      ps.setArray(4, c.createArrayOf("timestamptz", readAt));
      ps.setArray(5, c.createArrayOf("varchar", errors));
      ps.setArray(6, c.createArrayOf("float8", drifts));
      ps.setArray(7, c.createArrayOf("timestamptz", clockAt));
      ps.setString(8, instance);
      ps.executeUpdate();
    }
  }

  @Override
  public Optional<MeterStatus> status(String meterId) {
    Optional<MeterSpec> spec = registry.find(meterId);
    if (spec.isEmpty()) {
      return Optional.empty();
    }
    return Optional.of(statuses(Map.of(meterId, spec.get()), " WHERE m.id = ?", meterId).get(meterId));
  }

  @Override
  public Map<String, MeterStatus> statuses() {
    Map<String, MeterSpec> specs = new HashMap<>();
    registry.all().forEach(s -> specs.put(s.id(), s));
    return statuses(specs, "", null);
  }

  private Map<String, MeterStatus> statuses(Map<String, MeterSpec> specs, String where, String meterId) {
    Map<String, MeterStatus> result = new HashMap<>();
    try (Connection c = db.connection();
        PreparedStatement ps = c.prepareStatement("SELECT m.id, m.continuous, l.connected, l.relay,"
            + " l.last_reading_at, l.last_error, l.clock_drift, l.clock_checked_at FROM meter m"
            + " LEFT JOIN meter_lease l ON l.meter_id = m.id" + where)) {
      if (meterId != null) {
        ps.setString(1, meterId);
      }
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          String id = rs.getString("id");
          MeterSpec spec = specs.get(id);
          if (spec == null) {
            continue; // added after the registry was listed
          }
          Double drift = rs.getObject("clock_drift") == null ? null : rs.getDouble("clock_drift");
          String transport = org.s3mp.dlms.transport.MeterUrl.parse(spec.url()).scheme();
          result.put(id, new MeterStatus(spec, transport, rs.getBoolean("connected"), rs.getBoolean("continuous"),
              rs.getString("relay"), Database.fromDb(rs, "last_reading_at"), rs.getString("last_error"), null,
              drift, Database.fromDb(rs, "clock_checked_at")));
        }
      }
    } catch (SQLException e) {
      throw new IllegalStateException("reading the meter leases: " + e.getMessage(), e);
    }
    return result;
  }

  @Override
  public Optional<String> holder(String meterId) {
    try (Connection c = db.connection();
        PreparedStatement ps = c.prepareStatement(
            "SELECT instance FROM meter_lease WHERE meter_id = ? AND expires_at > now()")) {
      ps.setString(1, meterId);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? Optional.ofNullable(rs.getString(1)) : Optional.empty();
      }
    } catch (SQLException e) {
      throw new IllegalStateException("reading the meter leases: " + e.getMessage(), e);
    }
  }

  // --- commands and other operations on a meter held elsewhere ---

  /** Results cross between instances as JSON (derived properties such as a path's notation are ignored). */
  private static final com.fasterxml.jackson.databind.ObjectMapper RESULTS = new com.fasterxml.jackson.databind
      .ObjectMapper().registerModule(new com.fasterxml.jackson.datatype.jsr310.JavaTimeModule())
      .disable(com.fasterxml.jackson.databind.SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
      .disable(com.fasterxml.jackson.databind.DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

  /** An operation the poller does not know (key rotation), run by the holder for other instances. */
  @FunctionalInterface
  public interface Operation {
    CompletableFuture<?> run(String meterId, String argument);
  }

  private final Map<String, Operation> operations = new java.util.concurrent.ConcurrentHashMap<>();

  /** Lets other instances hand {@code name} on meters held here to this instance (set before {@link #start()}). */
  public void handle(String name, Operation operation) {
    operations.put(name, operation);
  }

  @Override
  public CompletableFuture<String> command(String meterId, String action, String argument) {
    return call(meterId, action, argument, String.class);
  }

  @Override
  public <T> CompletableFuture<T> call(String meterId, String action, String argument, Class<T> type) {
    long id;
    try (Connection c = db.connection();
        PreparedStatement ps = c.prepareStatement(
            "INSERT INTO meter_command (meter_id, action, argument, requested_by, requested_at, state)"
                + " VALUES (?, ?, ?, ?, now(), 'pending') RETURNING id")) {
      ps.setString(1, meterId);
      ps.setString(2, action);
      ps.setString(3, argument);
      ps.setString(4, instance);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        id = rs.getLong(1);
      }
    } catch (SQLException e) {
      throw new IllegalStateException("queueing the command: " + e.getMessage(), e);
    }
    CompletableFuture<T> result = new CompletableFuture<>();
    long unclaimedAfter = System.nanoTime() + UNCLAIMED.toNanos();
    long unansweredAfter = System.nanoTime() + UNANSWERED.toNanos();
    ScheduledFuture<?> watch = scheduler.scheduleWithFixedDelay(() -> {
      try {
        checkCommand(id, meterId, action, unclaimedAfter, unansweredAfter, result, type);
      } catch (RuntimeException e) {
        result.completeExceptionally(e);
      }
    }, COMMAND_POLL.toMillis(), COMMAND_POLL.toMillis(), TimeUnit.MILLISECONDS);
    result.whenComplete((r, e) -> watch.cancel(false));
    return result;
  }

  private <T> void checkCommand(long id, String meterId, String action, long unclaimedAfter, long unansweredAfter,
      CompletableFuture<T> result, Class<T> type) {
    try (Connection c = db.connection()) {
      try (PreparedStatement ps = c.prepareStatement(
          "SELECT state, outcome, executed_by, result FROM meter_command WHERE id = ?")) {
        ps.setLong(1, id);
        try (ResultSet rs = ps.executeQuery()) {
          rs.next();
          String state = rs.getString(1);
          if ("done".equals(state)) {
            String json = rs.getString(4);
            try {
              result.complete(json == null ? type.cast(rs.getString(2)) : RESULTS.readValue(json, type));
            } catch (java.io.IOException | ClassCastException e) {
              result.completeExceptionally(new IllegalStateException("the result of " + action + " on meter "
                  + meterId + " from instance " + rs.getString(3) + " is not readable: " + e.getMessage(), e));
            }
          } else if ("failed".equals(state)) {
            result.completeExceptionally(new MeterUnavailableException(rs.getString(2) + " (sent by instance "
                + rs.getString(3) + ")", null));
          } else if ("running".equals(state) && System.nanoTime() > unansweredAfter) {
            result.completeExceptionally(new java.util.concurrent.TimeoutException("meter " + meterId
                + ": head-end instance " + rs.getString(3) + ", which holds it, did not answer " + action + " within "
                + UNANSWERED.toSeconds() + " s (it may still finish it: see the audit log and the meter's status)"));
          }
          if (!"pending".equals(state) || System.nanoTime() < unclaimedAfter) {
            return;
          }
        }
      }
      try (PreparedStatement ps = c.prepareStatement(
          "UPDATE meter_command SET state = 'expired', finished_at = now() WHERE id = ? AND state = 'pending'")) {
        ps.setLong(1, id);
        if (ps.executeUpdate() == 1) {
          result.completeExceptionally(new org.s3mp.headend.polling.MeterElsewhereException("meter " + meterId
              + ": no head-end instance took " + action + " within " + UNCLAIMED.toSeconds() + " s (its holder "
              + holder(meterId).orElse("is being replaced") + "); it was not sent, try again"));
        }
      }
    } catch (SQLException e) {
      throw new IllegalStateException("reading the command: " + e.getMessage(), e);
    }
  }

  /**
   * Commands claimed by an instance that stopped (kill -9) before it wrote the outcome: failed, never sent again.
   * Why not retried: the dead instance may have sent it (a disconnect reached the meter, the answer was lost), and
   * a second send would have to be announced anyway; failing it says exactly that, the instance that accepted the
   * command audits the failure, and the meter's status (read by its new holder) shows what the meter did.
   */
  private void failOrphanedCommands(Connection c) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(
        "UPDATE meter_command SET state = 'failed', finished_at = now(), outcome = 'head-end instance '"
            + " || executed_by || ' stopped while running ' || action || ' (no heartbeat for " + LEASE.toSeconds()
            + " s): it may or may not have reached the meter, and it is not sent again; see the meter''s status'"
            + " WHERE state = 'running' AND NOT EXISTS (SELECT 1 FROM headend_instance i WHERE i.name = executed_by"
            + " AND i.heartbeat_at > now() - ? * interval '1 millisecond') RETURNING id, meter_id, action,"
            + " executed_by")) {
      ps.setLong(1, LEASE.toMillis());
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          log.warn("instance {}: command {} ({} on meter {}) failed: instance {} stopped while running it",
              instance, rs.getLong(1), rs.getString(3), rs.getString(2), rs.getString(4));
        }
      }
    }
  }

  private void runPendingCommandsQuietly() {
    try {
      runPendingCommands();
    } catch (RuntimeException e) {
      log.warn("instance {}: running commands of other instances: {}", instance, e.getMessage());
    }
  }

  /** Claims the pending commands for meters held here (one UPDATE: no other instance gets them) and runs them. */
  private void runPendingCommands() {
    if (leaving) {
      return;
    }
    record Claimed(long id, String meterId, String action, String argument) {}
    List<Claimed> claimed = new ArrayList<>();
    try (Connection c = db.connection();
        PreparedStatement ps = c.prepareStatement(
            "UPDATE meter_command SET state = 'running', executed_by = ? WHERE id IN (SELECT mc.id FROM meter_command"
                + " mc JOIN meter_lease l ON l.meter_id = mc.meter_id WHERE mc.state = 'pending' AND l.instance = ?"
                + " ORDER BY mc.id LIMIT 32 FOR UPDATE OF mc SKIP LOCKED) RETURNING id, meter_id, action, argument")) {
      ps.setString(1, instance);
      ps.setString(2, instance);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          claimed.add(new Claimed(rs.getLong(1), rs.getString(2), rs.getString(3), rs.getString(4)));
        }
      }
    } catch (SQLException e) {
      throw new IllegalStateException("claiming commands: " + e.getMessage(), e);
    }
    for (Claimed cmd : claimed) {
      CompletableFuture<?> run;
      try {
        Operation extra = operations.get(cmd.action());
        run = extra != null ? (poller.held().contains(cmd.meterId()) ? extra.run(cmd.meterId(), cmd.argument()) : null)
            : poller.commandHere(cmd.meterId(), cmd.action(), cmd.argument());
      } catch (RuntimeException e) {
        run = CompletableFuture.failedFuture(e);
      }
      if (run == null) {
        // the lease moved on between claim and run: not sent, so the new holder may take it
        finish(cmd.id(), "pending", null, null, "running");
        continue;
      }
      log.info("instance {}: {} on meter {} for instance-accepted command {}", instance, cmd.action(), cmd.meterId(),
          cmd.id());
      run.whenComplete((value, e) -> {
        if (e == null) {
          String json;
          try {
            json = RESULTS.writeValueAsString(value);
          } catch (com.fasterxml.jackson.core.JsonProcessingException j) {
            finish(cmd.id(), "failed", "the result is not writable: " + j.getMessage(), null, "running");
            return;
          }
          finish(cmd.id(), "done", value instanceof String text ? text : "ok", json, "running");
        } else {
          Throwable cause = e instanceof java.util.concurrent.CompletionException && e.getCause() != null
              ? e.getCause() : e;
          finish(cmd.id(), "failed", cause.getMessage() == null ? cause.toString() : cause.getMessage(), null,
              "running");
        }
      });
    }
  }

  private void finish(long id, String state, String outcome, String result, String from) {
    try (Connection c = db.connection();
        PreparedStatement ps = c.prepareStatement("UPDATE meter_command SET state = ?, outcome = ?, result = ?,"
            + " finished_at =" + (state.equals("pending") ? " NULL, executed_by = NULL" : " now()")
            + " WHERE id = ? AND state = ?")) {
      ps.setString(1, state);
      ps.setString(2, outcome == null || outcome.length() <= 2048 ? outcome : outcome.substring(0, 2048));
      ps.setString(3, result);
      ps.setLong(4, id);
      ps.setString(5, from);
      ps.executeUpdate();
    } catch (SQLException e) {
      log.error("instance {}: storing the outcome of command {} ({}): {}", instance, id, state, e.getMessage());
    }
  }

  private static PreparedStatement bind(PreparedStatement ps, long millis) throws SQLException {
    ps.setLong(1, millis);
    return ps;
  }

  /** The default instance name: the host name and the process id, unique on one machine and across machines. */
  public static String defaultInstanceName() {
    String host;
    try {
      host = java.net.InetAddress.getLocalHost().getHostName();
    } catch (java.net.UnknownHostException e) {
      host = "localhost";
    }
    return host + "-" + ProcessHandle.current().pid();
  }
}
