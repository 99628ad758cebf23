package org.s3mp.headend;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.s3mp.dlms.client.RetryPolicy;
import org.s3mp.headend.fleet.MeterInput;
import org.s3mp.headend.polling.ClockSettings;
import org.s3mp.headend.polling.PollingSettings;

/**
 * The head-end's YAML configuration (documented with a complete example in headend/README-config.md). Every
 * section is optional; {@link #withDefaults()} fills in what is missing.
 */
public record HeadendConfig(Http http, Database database, Polling polling, List<Token> tokens, List<MeterInput> meters,
    Scion scion, String keysDirectory, Integer tokenLifetimeHours, Push push, Clock clock, Alarms alarms) {

  public HeadendConfig(Http http, Database database, Polling polling, List<Token> tokens, List<MeterInput> meters,
      Scion scion, String keysDirectory, Integer tokenLifetimeHours, Push push, Clock clock) {
    this(http, database, polling, tokens, meters, scion, keysDirectory, tokenLifetimeHours, push, clock, null);
  }

  /**
   * Alarms: a polled meter not read for more than {@code notReadIntervals} poll intervals (default 3),
   * {@code associationFailures} failed association set-ups in a row (default 3), more than
   * {@code failoverStormCount} path changes of one meter (default 5) within {@code failoverStormWindowSeconds}
   * (default 600); the rules are checked every {@code checkSeconds} (default 2).
   */
  public record Alarms(Integer notReadIntervals, Integer associationFailures, Integer failoverStormCount,
      Integer failoverStormWindowSeconds, Integer checkSeconds) {}

  /** The alarms section as rules (defaults for what is missing); a bad value is an IllegalArgumentException. */
  public org.s3mp.headend.alarms.AlarmRules alarmRules() {
    org.s3mp.headend.alarms.AlarmRules d = org.s3mp.headend.alarms.AlarmRules.DEFAULTS;
    Alarms a = alarms == null ? new Alarms(null, null, null, null, null) : alarms;
    try {
      return new org.s3mp.headend.alarms.AlarmRules(
          a.notReadIntervals() == null ? d.notReadIntervals() : a.notReadIntervals(),
          a.associationFailures() == null ? d.associationFailures() : a.associationFailures(),
          a.failoverStormCount() == null ? d.failoverStormCount() : a.failoverStormCount(),
          a.failoverStormWindowSeconds() == null ? d.failoverStormWindow()
              : Duration.ofSeconds(a.failoverStormWindowSeconds()),
          a.checkSeconds() == null ? d.checkInterval() : Duration.ofSeconds(a.checkSeconds()));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("alarms: counts and seconds must be at least 1", e);
    }
  }

  public HeadendConfig(Http http, Database database, Polling polling, List<Token> tokens, List<MeterInput> meters,
      Scion scion, String keysDirectory, Integer tokenLifetimeHours) {
    this(http, database, polling, tokens, meters, scion, keysDirectory, tokenLifetimeHours, null, null);
  }

  /**
   * The push listener: {@code listen} a URL such as {@code tcp://127.0.0.1:4069} (absent: no listener), at most
   * {@code maxConnections} meters connected at once (default 4096, also per address: meters behind a NAT or SIG).
   */
  public record Push(String listen, Integer maxConnections) {}

  /** The same configuration with the push listener on {@code url} (null: none). */
  public HeadendConfig withPushListen(String url) {
    return new HeadendConfig(http, database, polling, tokens, meters, scion, keysDirectory, tokenLifetimeHours,
        url == null ? null : new Push(url, push == null ? null : push.maxConnections()), clock, alarms);
  }

  /** A configuration without SCION settings (the SCION daemon then comes from SCION_DAEMON_ADDRESS). */
  public HeadendConfig(Http http, Database database, Polling polling, List<Token> tokens, List<MeterInput> meters) {
    this(http, database, polling, tokens, meters, null);
  }

  public HeadendConfig(Http http, Database database, Polling polling, List<Token> tokens, List<MeterInput> meters,
      Scion scion) {
    this(http, database, polling, tokens, meters, scion, null, null);
  }

  /** Tokens created with {@code s3mp token create} stop working after this many hours unless configured. */
  public static final int DEFAULT_TOKEN_LIFETIME_HOURS = 12;

  /**
   * SCION meters: the head-end AS's daemon ({@code IP:PORT}; default SCION_DAEMON_ADDRESS, then 127.0.0.1:30255)
   * and the time to wait for each answer before the request is sent again, possibly over another path (short,
   * so that a broken path is left quickly).
   */
  public record Scion(String daemon, Integer attemptTimeoutMillis) {}

  public static final String DEFAULT_BIND = "127.0.0.1:8080";

  /**
   * {@code bind} is HOST:PORT (port 0 picks a free one); TLS is on when {@code tls} is given. Live streams get a
   * heartbeat every {@code liveHeartbeatSeconds} (default 15; a vanished client is detected and its stream
   * closed) and one token may hold at most {@code maxLiveStreamsPerToken} of them at once (default 8).
   */
  public record Http(String bind, Tls tls, Integer liveHeartbeatSeconds, Integer maxLiveStreamsPerToken) {
    public Http(String bind, Tls tls) {
      this(bind, tls, null, null);
    }
  }

  /** A PKCS#12 key store with the server's certificate and key. */
  public record Tls(String keystore, String password) {}

  /**
   * {@code url}: an H2 file path (default run/headend/headend under S3MP_HOME) or a JDBC URL (PostgreSQL).
   * {@code queueCapacity}: readings waiting for the database writer at most (default 5000); when it is full,
   * polling waits. {@code retentionDays}: readings and path changes older than this are deleted (default null:
   * kept for ever).
   */
  public record Database(String url, String user, String password, Integer queueCapacity, Integer retentionDays) {
    public Database(String url, String user, String password) {
      this(url, user, password, null, null);
    }

    public Database(String url, String user, String password, Integer queueCapacity) {
      this(url, user, password, queueCapacity, null);
    }
  }

  /**
   * {@code retries}, {@code timeoutMillis} and {@code backoffMillis} make the one DLMS retry policy
   * ({@link #retryPolicy()}); {@code workers}: meters in a DLMS exchange at once (default 256);
   * {@code associationSlots}: association set-ups at once (default 16, at most {@code workers}).
   */
  public record Polling(Integer retries, Integer timeoutMillis, Integer profileIntervalSeconds,
      Integer profileBackfillHours, Integer backoffMillis, Integer workers, Integer associationSlots) {
    public Polling(Integer retries, Integer timeoutMillis, Integer profileIntervalSeconds,
        Integer profileBackfillHours) {
      this(retries, timeoutMillis, profileIntervalSeconds, profileBackfillHours, null, null, null);
    }
  }

  /**
   * Clock checks: every meter's clock is read on each new association and every {@code checkIntervalSeconds}
   * (default 900); when it is off by more than {@code maxDriftSeconds} (default 10) and {@code autoSet} (default
   * true), the head-end sets it to its own time (audited).
   */
  public record Clock(Integer checkIntervalSeconds, Double maxDriftSeconds, Boolean autoSet) {}

  /** A token given in the config file, as the SHA-256 hex of its secret (never the secret itself). */
  public record Token(String name, String role, String sha256) {}

  public static HeadendConfig empty() {
    return new HeadendConfig(null, null, null, null, null, null, null, null).withDefaults();
  }

  /**
   * Reads a config file; relative paths in it (keys directory, policies, key store, H2 file) are relative to the
   * file, meters' keys files relative to the keys directory.
   */
  public static HeadendConfig load(Path file) {
    ObjectMapper yaml = new ObjectMapper(new YAMLFactory())
        .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);
    HeadendConfig raw;
    try {
      raw = Files.size(file) == 0 ? empty() : yaml.readValue(file.toFile(), HeadendConfig.class);
    } catch (com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException e) {
      String key = e.getPropertyName();
      if (key == null || !key.matches("[A-Za-z][A-Za-z0-9_-]{0,39}")) {
        // not a typo of a key but some other file (a line of /etc/shadow parses as a key): do not quote it
        throw new IllegalArgumentException("config " + file + ": not a head-end config (a YAML mapping of the keys"
            + " in headend/README-config.md)", null);
      }
      throw new IllegalArgumentException("config " + file + ": unknown key '" + key + "'"
          + " (known here: " + e.getKnownPropertyIds() + ")"
          + (e.getLocation() == null ? "" : " near line " + e.getLocation().getLineNr()), e);
    } catch (com.fasterxml.jackson.databind.exc.MismatchedInputException e) {
      // never the parser's message: it quotes the file's content (--config /etc/shadow must not print it)
      throw new IllegalArgumentException("config " + file + ": not a head-end config (a YAML mapping of the keys"
          + " in headend/README-config.md" + (e.getPath().isEmpty() ? "" : ", wrong value type at "
          + e.getPathReference().replaceAll(".*\\[", "[")) + ")"
          + (e.getLocation() == null ? "" : " near line " + e.getLocation().getLineNr()), null);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("config " + file + ": not valid YAML"
          + (e.getLocation() == null ? "" : " (line " + e.getLocation().getLineNr() + ")"), null);
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot read config " + file + ": " + e.getMessage(), e);
    }
    if (raw == null) {
      raw = empty();
    }
    return raw.resolvedAgainst(file.toAbsolutePath().getParent()).withDefaults();
  }

  public HeadendConfig withDefaults() {
    Http h = http == null ? new Http(null, null) : http;
    h = new Http(h.bind() == null ? DEFAULT_BIND : h.bind(), h.tls(),
        h.liveHeartbeatSeconds() == null ? 15 : h.liveHeartbeatSeconds(),
        h.maxLiveStreamsPerToken() == null ? 8 : h.maxLiveStreamsPerToken());
    if (h.liveHeartbeatSeconds() < 1 || h.maxLiveStreamsPerToken() < 1) {
      throw new IllegalArgumentException("http: liveHeartbeatSeconds and maxLiveStreamsPerToken must be >= 1");
    }
    Database d = database == null ? new Database(null, null, null) : database;
    d = new Database(d.url() == null ? defaultDatabase() : d.url(), d.user(), d.password(),
        d.queueCapacity() == null ? org.s3mp.headend.storage.ReadingStore.DEFAULT_QUEUE_CAPACITY : d.queueCapacity(),
        d.retentionDays());
    if (d.queueCapacity() < 1) {
      throw new IllegalArgumentException("database.queueCapacity: at least 1, got " + d.queueCapacity());
    }
    if (d.retentionDays() != null && d.retentionDays() < 1) {
      throw new IllegalArgumentException("database.retentionDays: at least 1 (leave it out to keep every reading), got "
          + d.retentionDays());
    }
    Polling p = polling == null ? new Polling(null, null, null, null) : polling;
    p = new Polling(
        p.retries() == null ? 1 : p.retries(),
        p.timeoutMillis() == null ? 5000 : p.timeoutMillis(),
        p.profileIntervalSeconds() == null ? 900 : p.profileIntervalSeconds(),
        p.profileBackfillHours() == null ? 24 * 7 : p.profileBackfillHours(),
        p.backoffMillis() == null ? 0 : p.backoffMillis(),
        p.workers() == null ? PollingSettings.DEFAULT_WORKERS : p.workers(),
        p.associationSlots() == null ? PollingSettings.DEFAULT_ASSOCIATION_SLOTS : p.associationSlots());
    // the limits fail here, with the other sections (PollingSettings says what is allowed)
    new PollingSettings(RetryPolicy.DEFAULT, Duration.ZERO, Duration.ZERO, p.workers(), p.associationSlots());
    Scion sc = scion == null ? new Scion(null, null) : scion;
    sc = new Scion(sc.daemon(), sc.attemptTimeoutMillis() == null ? 500 : sc.attemptTimeoutMillis());
    String keys = keysDirectory == null || keysDirectory.isBlank() ? defaultKeysDirectory() : keysDirectory;
    int lifetime = tokenLifetimeHours == null ? DEFAULT_TOKEN_LIFETIME_HOURS : tokenLifetimeHours;
    if (lifetime < 1) {
      throw new IllegalArgumentException("tokenLifetimeHours: at least 1, got " + lifetime);
    }
    Push pu = push;
    if (pu != null && (pu.listen() == null || pu.listen().isBlank())) {
      pu = null;
    }
    if (pu != null) {
      pu = new Push(pu.listen().strip(), pu.maxConnections() == null
          ? org.s3mp.headend.push.PushListener.DEFAULT_MAX_CONNECTIONS : pu.maxConnections());
      if (pu.maxConnections() < 1) {
        throw new IllegalArgumentException("push.maxConnections: at least 1, got " + pu.maxConnections());
      }
      try {
        org.s3mp.dlms.transport.MeterUrl.parse(pu.listen());
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("push.listen: " + e.getMessage(), e);
      }
    }
    Clock cl = clock == null ? new Clock(null, null, null) : clock;
    cl = new Clock(cl.checkIntervalSeconds() == null ? 900 : cl.checkIntervalSeconds(),
        cl.maxDriftSeconds() == null ? 10.0 : cl.maxDriftSeconds(), cl.autoSet() == null || cl.autoSet());
    alarmRules(); // a bad alarms section fails here, with the others
    return new HeadendConfig(h, d, p, tokens == null ? List.of() : tokens, meters == null ? List.of() : meters, sc,
        keys, lifetime, pu, cl, alarms);
  }

  public HeadendConfig withBind(String bind) {
    return new HeadendConfig(new Http(bind, http.tls(), http.liveHeartbeatSeconds(), http.maxLiveStreamsPerToken()),
        database, polling, tokens, meters, scion, keysDirectory,
        tokenLifetimeHours, push, clock, alarms);
  }

  public HeadendConfig withDatabase(String url) {
    return new HeadendConfig(http, new Database(url, database.user(), database.password(), database.queueCapacity(),
        database.retentionDays()),
        polling, tokens, meters, scion, keysDirectory, tokenLifetimeHours, push, clock, alarms);
  }

  /** The directory meter keys files must be in (see {@link org.s3mp.headend.fleet.KeysDirectory}). */
  public HeadendConfig withKeysDirectory(String dir) {
    return new HeadendConfig(http, database, polling, tokens, meters, scion, dir, tokenLifetimeHours, push, clock,
        alarms);
  }

  public PollingSettings pollingSettings() {
    RetryPolicy retry = retryPolicy(); // checks the whole section
    return new PollingSettings(retry, Duration.ofSeconds(polling.profileIntervalSeconds()),
        Duration.ofHours(polling.profileBackfillHours()), polling.workers(), polling.associationSlots());
  }

  /**
   * How the DLMS layer retries (after {@link #withDefaults()}): {@code polling.retries} new associations after a
   * failed operation, each after {@code polling.backoffMillis}, {@code polling.timeoutMillis} per response; the
   * meter connector and the meters' sessions are both given this one policy.
   */
  public RetryPolicy retryPolicy() {
    if (polling.retries() < 0 || polling.timeoutMillis() < 1 || polling.profileIntervalSeconds() < 1
        || polling.profileBackfillHours() < 1 || polling.backoffMillis() < 0) {
      throw new IllegalArgumentException("polling: retries and backoffMillis must be >= 0, timeoutMillis,"
          + " profileIntervalSeconds and profileBackfillHours >= 1");
    }
    return new RetryPolicy(polling.retries(), Duration.ofMillis(polling.timeoutMillis()),
        Duration.ofMillis(polling.backoffMillis()));
  }

  /** The clock section, checked (after {@link #withDefaults()}). */
  public ClockSettings clockSettings() {
    if (clock.checkIntervalSeconds() < 1) {
      throw new IllegalArgumentException("clock.checkIntervalSeconds: at least 1, got " + clock.checkIntervalSeconds());
    }
    if (!(clock.maxDriftSeconds() > 0)) {
      throw new IllegalArgumentException("clock.maxDriftSeconds: more than 0, got " + clock.maxDriftSeconds());
    }
    return new ClockSettings(Duration.ofSeconds(clock.checkIntervalSeconds()),
        Duration.ofNanos(Math.round(clock.maxDriftSeconds() * 1e9)), clock.autoSet());
  }

  /** A copy with another clock section (defaults filled in). */
  public HeadendConfig withClock(Clock c) {
    return new HeadendConfig(http, database, polling, tokens, meters, scion, keysDirectory, tokenLifetimeHours, push, c,
        alarms).withDefaults();
  }

  /** HOST and PORT of {@code http.bind}. */
  public String bindHost() {
    return splitBind()[0];
  }

  public int bindPort() {
    return Integer.parseInt(splitBind()[1]);
  }

  private String[] splitBind() {
    String bind = http.bind();
    int colon = bind.lastIndexOf(':');
    if (colon < 1 || colon == bind.length() - 1) {
      throw new IllegalArgumentException("http bind must be HOST:PORT, got " + bind);
    }
    String host = bind.substring(0, colon).replace("[", "").replace("]", "");
    String port = bind.substring(colon + 1);
    if (!validHost(host)) {
      throw new IllegalArgumentException("http bind: invalid address " + host + " in " + bind);
    }
    try {
      int n = Integer.parseInt(port);
      if (n < 0 || n > 65535) {
        throw new NumberFormatException();
      }
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("http bind: bad port in " + bind);
    }
    return new String[] {host, port};
  }

  /** A dotted quad must be a real IPv4 address (999.1.1.1 is not); other names must resolve. */
  private static boolean validHost(String host) {
    if (host.matches("[0-9.]+")) {
      String[] parts = host.split("\\.", -1);
      if (parts.length != 4) {
        return false;
      }
      for (String p : parts) {
        if (p.isEmpty() || p.length() > 3 || Integer.parseInt(p) > 255) {
          return false;
        }
      }
      return true;
    }
    try {
      java.net.InetAddress.getByName(host);
      return true;
    } catch (java.net.UnknownHostException e) {
      return false;
    }
  }

  static String defaultDatabase() {
    return dataDirectory().resolve("headend").toString();
  }

  /** {@code keys} in the head-end's data directory (run/headend under S3MP_HOME). */
  static String defaultKeysDirectory() {
    return dataDirectory().resolve("keys").toString();
  }

  private static Path dataDirectory() {
    String home = System.getenv("S3MP_HOME");
    return Path.of(home == null ? "." : home, "run", "headend");
  }

  private HeadendConfig resolvedAgainst(Path dir) {
    List<MeterInput> resolved = new ArrayList<>();
    for (MeterInput m : meters == null ? List.<MeterInput>of() : meters) {
      resolved.add(new MeterInput(m.id(), m.url(), m.keysFile(), resolve(dir, m.policy()), m.drkey(),
          m.pollSeconds(), m.profile()));
    }
    Http h = http;
    if (h != null && h.tls() != null) {
      h = new Http(h.bind(), new Tls(resolve(dir, h.tls().keystore()), h.tls().password()), h.liveHeartbeatSeconds(),
          h.maxLiveStreamsPerToken());
    }
    Database d = database;
    if (d != null && d.url() != null && !d.url().startsWith("jdbc:")) {
      d = new Database(resolve(dir, d.url()), d.user(), d.password(), d.queueCapacity(), d.retentionDays());
    }
    return new HeadendConfig(h, d, polling, tokens, resolved, scion, resolve(dir, keysDirectory), tokenLifetimeHours,
        push, clock, alarms);
  }

  private static String resolve(Path dir, String path) {
    if (path == null || path.isBlank() || dir == null) {
      return path;
    }
    return dir.resolve(path).normalize().toString();
  }
}
