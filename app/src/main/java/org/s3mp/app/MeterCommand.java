package org.s3mp.app;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.s3mp.dlms.security.KeysFile;
import org.s3mp.dlms.drkey.DrkeyAssociationKeys;
import org.s3mp.dlms.drkey.DrkeyKeySource;
import org.s3mp.dlms.server.AssociationKeys;
import org.s3mp.dlms.transport.LinkOptions;
import org.s3mp.dlms.transport.MeterUrl;
import org.s3mp.dlms.transport.scion.ScionTransport;
import org.s3mp.dlms.transport.scion.TrustedSources;
import org.s3mp.meter.AgentConfig;
import org.s3mp.meter.MeterAgent;
import org.s3mp.meter.Sources;
import org.s3mp.meter.drivers.LoggingDisplay;
import org.s3mp.meter.drivers.Display;
import org.s3mp.meter.drivers.GpioRelay;
import org.s3mp.meter.drivers.LoggingRelay;
import org.s3mp.meter.drivers.Relay;
import org.s3mp.meter.drivers.Ssd1306Display;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import org.s3mp.scion.ScionAddress;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code s3mp meter}: the meter agent (a DLMS/COSEM server in front of a simulated or Modbus meter). */
@Command(
    name = "meter",
    mixinStandardHelpOptions = true,
    description = {
      "Run the meter agent: a DLMS/COSEM electricity meter (logical name referencing, IEC 62056-47 wrapper) "
          + "serving a simulated household or a real meter read over Modbus, with a relay for remote "
          + "disconnect, a display for messages, a load profile and an event log.",
      "State (relay, message, counters, load profile, events) lives in --data and survives restarts. "
          + "Runs until Ctrl-C."
    },
    footer = {"",
      "Examples:",
      "  ./s3mp meter --simulated --listen tcp://127.0.0.1:4059 --keys meter.keys --generate-keys",
      "  ./s3mp meter --modbus-tcp 192.168.1.50:502 --map sdm120 --listen tcp://127.0.0.1:4059 --keys meter.keys",
      "  ./s3mp meter --modbus-rtu /dev/ttyUSB0 --baud 9600 --parity even --map or-we-514 --keys meter.keys",
      "  ./s3mp meter --simulated --count 100 --listen tcp://127.0.0.1:5000 --data run/meters   (ports 5000..5099)",
      "Shipped register maps: or-we-514, sdm120, sdm630 (or a map file, format in RegisterMap's documentation)."})
final class MeterCommand implements Callable<Integer> {
  @Spec picocli.CommandLine.Model.CommandSpec spec;

  static final class SourceChoice {
    @Option(names = "--simulated", description = "A simulated household (the default).")
    boolean simulated;

    @Option(names = "--modbus-rtu", paramLabel = "DEV", description = "A meter on a serial line, e.g. /dev/ttyUSB0.")
    String modbusRtu;

    @Option(names = "--modbus-tcp", paramLabel = "HOST:PORT", description = "A meter behind a Modbus TCP gateway.")
    String modbusTcp;
  }

  @ArgGroup(exclusive = true, multiplicity = "0..1")
  SourceChoice source = new SourceChoice();

  @Option(names = "--map", paramLabel = "NAME|FILE", defaultValue = "or-we-514",
      description = "Modbus register map (default: ${DEFAULT-VALUE}).")
  String map;

  @Option(names = "--baud", defaultValue = "9600", description = "Modbus RTU baud rate (default: ${DEFAULT-VALUE}).")
  int baud;

  @Option(names = "--parity", defaultValue = "none",
      description = "Modbus RTU parity: none, even, odd (default: ${DEFAULT-VALUE}).")
  String parity;

  @Option(names = "--slave", defaultValue = "1", description = "Modbus slave/unit id (default: ${DEFAULT-VALUE}).")
  int slave;

  @Option(names = "--seed", defaultValue = "1", description = "Seed of the simulated household (default: ${DEFAULT-VALUE}).")
  long seed;

  /** Several URLs in one value are split at spaces or at a comma before the next URL's scheme. */
  @Option(names = "--listen", paramLabel = "URL", defaultValue = "tcp://127.0.0.1:4059",
      split = "\\s*,\\s*(?=[a-z][a-z0-9+.-]*://)|\\s+", splitSynopsisLabel = ",",
      description = "Where to serve DLMS, repeatable; several in one value (or one --config entry) separated by"
          + " spaces or commas (default: ${DEFAULT-VALUE}).")
  List<String> listen = new ArrayList<>();

  @Option(names = "--keys", paramLabel = "FILE",
      description = "Keys file: hex authentication-key, encryption-key, client-system-title, server-system-title,"
          + " and key-encryption-key for key rotation by the head-end (new keys replace the old in this file once"
          + " confirmed; until then they wait in the data directory as keys.pending).")
  Path keys;

  @Option(names = "--generate-keys", description = "Create the --keys file with random keys if it does not exist.")
  boolean generateKeys;

  @Option(names = "--data", paramLabel = "DIR",
      description = "State directory (default: $S3MP_HOME/run/meter, else ./run/meter). One agent per directory.")
  Path data;

  @Option(names = "--capture-period", paramLabel = "SECONDS", defaultValue = "900",
      description = "Load profile capture period (default: ${DEFAULT-VALUE}).")
  int capturePeriod;

  @Option(names = "--serial", paramLabel = "TEXT", description = "Serial number (default: from the server system title).")
  String serial;

  @Option(names = "--pre-association-timeout", paramLabel = "SECONDS", defaultValue = "10",
      description = "Close a TCP connection that has not completed a DLMS association within this time"
          + " (default: ${DEFAULT-VALUE}).")
  double preAssociationTimeout;

  @Option(names = "--clock-offset", paramLabel = "SECONDS",
      description = "Start the meter's clock this many seconds ahead of the host clock (negative: behind), e.g."
          + " to see the head-end correct the drift; without it the clock keeps the offset a client last set.")
  Double clockOffset;

  @Option(names = "--push", paramLabel = "URL",
      description = "Push the registers (every --push-period) and events (at once) to this push listener, e.g."
          + " tcp://127.0.0.1:4069; replaces the destination a head-end last set (kept in --data).")
  String push;

  @Option(names = "--push-period", paramLabel = "SECONDS",
      description = "Seconds between two pushes of the registers (0: none); replaces the period a head-end last"
          + " set. Without it the stored period stays (0 at first).")
  Long pushPeriod;

  @Option(names = "--push-policy", paramLabel = "FILE",
      description = "Path policy of the pushes to a scion:// --push destination (the shape of ./s3mp read --policy;"
          + " default: any path).")
  Path pushPolicy;

  @Option(names = "--simulate-outage", paramLabel = "AFTER[:DURATION]",
      description = "Lab: the mains fail AFTER seconds after the start (the meter pushes POWER_FAILURE as its last"
          + " gasp and goes dark) and return DURATION seconds later (default 10) with POWER_RESTORED.")
  String simulateOutage;

  @picocli.CommandLine.Mixin ScionClientOptions scionOptions;

  @Option(names = "--relay-gpio", paramLabel = "LINE",
      description = "Drive the load relay on this Linux GPIO line (sysfs); default: a simulated relay that logs.")
  Integer relayGpio;

  @Option(names = "--relay-active-low", description = "The relay closes when the GPIO line is low.")
  boolean relayActiveLow;

  @Option(names = "--gpio-root", paramLabel = "DIR", defaultValue = "/sys/class/gpio", hidden = true,
      description = "Where the sysfs GPIO interface is (tests).")
  Path gpioRoot;

  @Option(names = "--display-i2c", paramLabel = "BUS",
      description = "Show messages on an SSD1306 128x64 OLED on this I2C bus (needs i2c-tools' i2ctransfer);"
          + " default: a simulated display that logs.")
  Integer displayBus;

  @Option(names = "--display-address", paramLabel = "ADDR", defaultValue = "0x3c",
      description = "I2C address of the display (default: ${DEFAULT-VALUE}).")
  String displayAddress;

  @Option(names = "--drkey", description = "Management keys from SCION's DRKey instead of a keys file: per trusted"
      + " head-end (--trust) and DRKey epoch, derived through the --daemon of this meter's AS.")
  boolean drkey;

  @Option(names = "--trust", paramLabel = "ISD-AS[,HOST]",
      description = "A SCION source the meter accepts datagrams from (repeatable): a whole AS or one host, e.g."
          + " 1-ff00:0:112,127.0.112.1. Datagrams from anyone else are dropped before any DLMS parsing or"
          + " cryptography (counted, logged at most every 10 s). With --drkey the hosts given are the head-ends"
          + " allowed to manage. Without --trust the meter accepts any source.")
  List<String> trust = new ArrayList<>();

  @Option(names = "--scion-topology", paramLabel = "FILE",
      description = "The topology.json of this meter's SCION AS (from scionproto's config_dir): scion:// listeners"
          + " take the AS's MTU and dispatched ports from it instead of asking the --daemon, so a meter with static"
          + " keys needs no daemon connection (and loads no gRPC). --drkey and pushes over SCION still use the daemon.")
  Path scionTopology;

  @Option(names = "--open", description = "Accept datagrams from any SCION source even with --trust (which then"
      + " only names the --drkey management head-ends).")
  boolean open;

  @Option(names = "--firmware-key", paramLabel = "FILE",
      description = "Ed25519 public key (PEM, from `s3mp firmware keygen`) firmware images must be signed with;"
          + " without it the meter refuses every image transfer.")
  Path firmwareKey;

  @Option(names = "--count", paramLabel = "N", defaultValue = "1",
      description = "Run N simulated meters in this process (load tests, labs): meter i (0-based) listens on the"
          + " --listen URL's port + i and keeps its own keys (generated), state and counters in"
          + " --data/meter-NNNN (meter-0001 for the first); seeds --seed + i (default: ${DEFAULT-VALUE}).")
  int count;

  @Option(names = "--config", paramLabel = "FILE",
      description = "Options from a properties file: NAME=VALUE per option without the dashes (e.g. "
          + "listen=tcp://127.0.0.1:4059, keys=meter.keys, simulated=true); the command line wins.")
  Path config;

  @Override
  public Integer call() throws Exception {
    return config != null ? withConfig() : run();
  }

  /** Runs with the options as parsed (and, with --config, completed from the file). */
  private Integer run() throws Exception {
    firmwareKey(); // a bad --firmware-key fails before any file is created
    // --count 1 given is one meter of the many-meter kind (bench fleet's last process may get one)
    if (count != 1 || spec.commandLine().getParseResult().hasMatchedOption("--count")) {
      return runMany();
    }
    if (keys == null && !drkey) {
      throw new S3mp.UsageError("--keys FILE or --drkey is required (or keys=FILE in --config)");
    }
    if (keys != null && drkey) {
      throw new S3mp.UsageError("choose either --keys (static keys) or --drkey");
    }
    List<MeterUrl> urls = new ArrayList<>();
    for (String l : listen) {
      try {
        urls.add(MeterUrl.parse(l));
      } catch (IllegalArgumentException e) {
        throw new S3mp.UsageError(e.getMessage());
      }
    }
    LinkOptions transport = transportOptions();
    AssociationKeys associationKeys;
    String serialNumber;
    if (drkey) {
      associationKeys = drkeyAssociationKeys(urls);
      MeterUrl scion = urls.stream().filter(u -> u.scheme().equals("scion")).findFirst().orElseThrow();
      serialNumber = serial != null ? serial : "S3MP-" + java.util.HexFormat.of().withUpperCase()
          .formatHex(DrkeyKeySource.systemTitle(ScionAddress.parse(scion.address())));
    } else {
      KeysFile k = loadKeys();
      // rotatable by the head-end (key_transfer): transferred keys wait in the data directory until confirmed
      associationKeys = org.s3mp.dlms.server.RotatingKeys.open(keys, dataDirectory().resolve("keys.pending"));
      serialNumber = serial != null ? serial : Sources.serialNumber(k);
    }
    AgentConfig.SourceFactory factory;
    if (source.modbusRtu != null) {
      factory = Sources.modbusRtu(source.modbusRtu, baud, parity, slave, map);
    } else if (source.modbusTcp != null) {
      factory = Sources.modbusTcp(source.modbusTcp, map, slave);
    } else {
      factory = Sources.simulated(seed);
    }
    Path dir = dataDirectory();
    AgentConfig config;
    try {
      Relay relay = relayGpio == null ? new LoggingRelay() : GpioRelay.open(gpioRoot, relayGpio, relayActiveLow);
      Display display = displayBus == null ? new LoggingDisplay()
          : new Ssd1306Display("i2ctransfer", displayBus, Integer.decode(displayAddress));
      config = new AgentConfig(dir, urls, associationKeys, factory, capturePeriod, relay, display, serialNumber,
          transport, clockOffsetDuration(), AgentConfig.Push.parse(push, pushPeriod, simulateOutage))
          .withFirmwareKey(firmwareKey());
    } catch (IllegalArgumentException e) {
      throw new S3mp.UsageError(e.getMessage());
    }
    MeterAgent agent = MeterAgent.start(config);
    CountDownLatch stop = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      agent.close();
      stop.countDown();
    }, "meter-shutdown"));
    for (MeterUrl u : agent.endpoints()) {
      spec.commandLine().getOut().println("meter " + config.serialNumber() + " listening on " + u + " (data " + dir + ")");
    }
    spec.commandLine().getOut().flush();
    stop.await();
    return 0;
  }

  private LinkOptions transportOptions() {
    if (!(preAssociationTimeout > 0 && preAssociationTimeout <= 3600)) {
      throw new S3mp.UsageError("--pre-association-timeout must be more than 0 and at most 3600 s");
    }
    LinkOptions transport = scionOptions.linkOptions(Duration.ofSeconds(5))
        .with(org.s3mp.dlms.transport.tcp.TcpTransport.PRE_ASSOCIATION_TIMEOUT, Double.toString(preAssociationTimeout));
    TrustedSources trustedSources;
    try {
      trustedSources = open ? TrustedSources.open() : TrustedSources.parse(trust);
    } catch (IllegalArgumentException e) {
      throw new S3mp.UsageError("--trust: " + e.getMessage());
    }
    if (pushPolicy != null) {
      if (!Files.isReadable(pushPolicy)) {
        throw new S3mp.UsageError("--push-policy: cannot read " + pushPolicy);
      }
      // only the meter's own connections (its pushes) use a path policy; its listeners ignore it
      transport = transport.with(LinkOptions.PATH_POLICY, pushPolicy.toString());
    }
    if (!trustedSources.isOpen()) {
      transport = transport.with(ScionTransport.TRUST, trustedSources.format());
    }
    if (scionTopology != null) {
      if (!Files.isReadable(scionTopology)) {
        throw new S3mp.UsageError("--scion-topology: cannot read " + scionTopology);
      }
      transport = transport.with(ScionTransport.TOPOLOGY, scionTopology.toString());
    }
    return transport;
  }

  private java.security.PublicKey firmwareKey() {
    if (firmwareKey == null) {
      return null;
    }
    try {
      return org.s3mp.dlms.firmware.FirmwareImage.readPublicKey(firmwareKey);
    } catch (java.io.IOException e) {
      throw new S3mp.UsageError("--firmware-key: " + e.getMessage());
    }
  }

  private Path dataDirectory() {
    return data != null ? data
        : Path.of(System.getenv().getOrDefault("S3MP_HOME", ".")).resolve("run").resolve("meter");
  }

  private Duration clockOffsetDuration() {
    if (clockOffset != null && !(Math.abs(clockOffset) <= 10L * 365 * 86_400)) {
      throw new IllegalArgumentException("--clock-offset: at most ten years either way, in seconds");
    }
    return clockOffset == null ? null : Duration.ofMillis(Math.round(clockOffset * 1000));
  }

  /** The most meters {@code --count} starts in one process. */
  static final int MAX_COUNT = 20_000;

  /** {@code --count N}: N simulated meters on consecutive ports, one data sub-directory (and keys file) each. */
  private Integer runMany() throws Exception {
    if (count < 1 || count > MAX_COUNT) {
      throw new S3mp.UsageError("--count must be 1.." + MAX_COUNT + ", got " + count);
    }
    if (source.modbusRtu != null || source.modbusTcp != null) {
      throw new S3mp.UsageError("--count runs simulated meters only (one Modbus meter is one agent)");
    }
    if (drkey) {
      throw new S3mp.UsageError("--count works with static keys only (each meter's keys file is generated in its"
          + " data directory), not --drkey");
    }
    if (keys != null) {
      throw new S3mp.UsageError("--count: each meter has its own keys file (DIR/meter-NNNN/meter.keys, generated when"
          + " missing); leave out --keys");
    }
    if (relayGpio != null || displayBus != null || serial != null) {
      throw new S3mp.UsageError("--count: --relay-gpio, --display-i2c and --serial are for a single meter");
    }
    if (listen.size() != 1) {
      throw new S3mp.UsageError("--count needs exactly one --listen URL (the first meter's; the others use the next"
          + " ports)");
    }
    MeterUrl first;
    int basePort;
    try {
      first = MeterUrl.parse(listen.get(0));
      basePort = first.hostPort().port();
    } catch (IllegalArgumentException e) {
      throw new S3mp.UsageError(e.getMessage());
    }
    if (basePort == 0 || basePort + count - 1 > 65535) {
      throw new S3mp.UsageError("--count " + count + ": ports " + basePort + ".." + (basePort + count - 1)
          + " do not fit 1..65535 (--listen needs a fixed port)");
    }
    LinkOptions transport = transportOptions();
    Path dir = dataDirectory();
    List<AgentConfig> configs = new ArrayList<>();
    List<Path> keyFiles = new ArrayList<>();
    try {
      Duration offset = clockOffsetDuration();
      // every meter pushes to the same listener, each over its own connection (bench fleet --push)
      AgentConfig.Push pushOptions = AgentConfig.Push.parse(push, pushPeriod, simulateOutage);
      for (int i = 0; i < count; i++) {
        Path meterDir = dir.resolve(String.format("meter-%04d", i + 1));
        Path keysFile = meterDir.resolve("meter.keys");
        KeysFile k = loadOrCreateKeys(keysFile);
        keyFiles.add(keysFile);
        MeterUrl url = withPort(first, basePort + i);
        configs.add(new AgentConfig(meterDir, List.of(url),
            org.s3mp.dlms.server.RotatingKeys.open(keysFile, meterDir.resolve("keys.pending")), Sources.simulated(seed + i),
            capturePeriod, new LoggingRelay(), new LoggingDisplay(), Sources.serialNumber(k), transport, offset)
            .withFirmwareKey(firmwareKey()).withPush(pushOptions));
      }
    } catch (IllegalArgumentException e) {
      throw new S3mp.UsageError(e.getMessage());
    }
    List<MeterAgent> agents = MeterAgent.startAll(configs);
    CountDownLatch stop = new CountDownLatch(1);
    var out = spec.commandLine().getOut();
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      if (push != null) {
        // at once (closing thousands of meters may outlast the caller's patience), and again once closed
        out.println("pushes sent " + agents.stream().mapToLong(MeterAgent::pushesSent).sum() + " failed "
            + agents.stream().mapToLong(MeterAgent::pushesFailed).sum());
        out.flush();
      }
      agents.parallelStream().forEach(MeterAgent::close);
      if (push != null) {
        // what the meters sent, for bench fleet --push (pushes sent but not stored were lost)
        out.println("pushes sent " + agents.stream().mapToLong(MeterAgent::pushesSent).sum() + " failed "
            + agents.stream().mapToLong(MeterAgent::pushesFailed).sum());
        out.flush();
      }
      stop.countDown();
    }, "meter-shutdown"));
    for (int i = 0; i < agents.size(); i++) {
      for (MeterUrl u : agents.get(i).endpoints()) {
        out.println("meter " + configs.get(i).serialNumber() + " listening on " + u + " (data "
            + configs.get(i).dataDir() + ", keys " + keyFiles.get(i) + ")");
      }
    }
    out.println(agents.size() + " meters running");
    out.flush();
    stop.await();
    return 0;
  }

  /** The same URL with another port: {@code tcp://HOST:PORT} and {@code scion://IA,[IP]:PORT} both end in it. */
  static MeterUrl withPort(MeterUrl url, int port) {
    String a = url.address();
    return new MeterUrl(url.scheme(), a.substring(0, a.lastIndexOf(':') + 1) + port);
  }

  private KeysFile loadOrCreateKeys(Path file) throws java.io.IOException {
    if (Files.exists(file)) {
      return KeysFile.load(file);
    }
    Files.createDirectories(file.getParent());
    KeysFile k = KeysFile.generate(new byte[] {'S', '3', 'M', 'P', 'H', 'E', 0, 1}, randomTitle());
    k.save(file);
    return k;
  }

  /** Options that pick the meter source: one given on the command line overrides the file's (they exclude). */
  private static final List<String> SOURCE_OPTIONS = List.of("simulated", "modbus-rtu", "modbus-tcp");

  /**
   * Parses the command line again with the config file as picocli's default provider (so the command line wins)
   * and runs that. Names the file has but the command lacks are refused, not ignored: a typo must not pass.
   */
  private Integer withConfig() throws Exception {
    java.util.Properties file = new java.util.Properties();
    try (var in = Files.newBufferedReader(config)) {
      file.load(in);
    } catch (java.io.IOException e) {
      throw new S3mp.UsageError("cannot read --config " + config + ": " + e.getMessage());
    }
    var parsed = spec.commandLine().getParseResult();
    boolean sourceGiven = SOURCE_OPTIONS.stream().anyMatch(o -> parsed.hasMatchedOption("--" + o));
    java.util.Properties defaults = new java.util.Properties();
    for (String name : new java.util.TreeSet<>(file.stringPropertyNames())) {
      String option = name.strip();
      if (option.equals("config") || spec.findOption("--" + option) == null) {
        throw new S3mp.UsageError("--config " + config + ": unknown option " + name);
      }
      if (!(sourceGiven && SOURCE_OPTIONS.contains(option))) {
        defaults.setProperty(option, file.getProperty(name).strip());
      }
    }
    MeterCommand inner = new MeterCommand();
    picocli.CommandLine cl = new picocli.CommandLine(inner)
        .setDefaultValueProvider(new picocli.CommandLine.PropertiesDefaultProvider(defaults));
    cl.setOut(spec.commandLine().getOut());
    cl.setErr(spec.commandLine().getErr());
    List<String> original = parsed.originalArgs();
    try {
      cl.parseArgs(original.subList(original.indexOf(spec.name()) + 1, original.size()).toArray(String[]::new));
    } catch (picocli.CommandLine.ParameterException e) {
      throw new S3mp.UsageError(e.getMessage());
    }
    return inner.run();
  }

  /** DRKey mode: keys for the trusted head-ends, derived for this meter's SCION address through its daemon. */
  private AssociationKeys drkeyAssociationKeys(List<MeterUrl> urls) {
    if (trust.isEmpty()) {
      throw new S3mp.UsageError("--drkey needs at least one --trust ISD-AS,HOST (the head-ends allowed to manage)");
    }
    MeterUrl scion = urls.stream().filter(u -> u.scheme().equals("scion")).findFirst().orElseThrow(() ->
        new S3mp.UsageError("--drkey needs a scion:// listener (DRKey keys are bound to SCION addresses)"));
    List<DrkeyAssociationKeys.TrustedHeadEnd> trusted = new ArrayList<>();
    ScionAddress meter;
    try {
      for (String t : trust) {
        if (t.indexOf(',') >= 0) { // DRKey keys are per host: a whole trusted AS is network-level only
          trusted.add(DrkeyAssociationKeys.TrustedHeadEnd.parse(t));
        }
      }
      if (trusted.isEmpty()) {
        throw new S3mp.UsageError("--drkey needs at least one --trust ISD-AS,HOST with a host (DRKey keys are per"
            + " host): " + trust);
      }
      meter = ScionAddress.parse(scion.address());
    } catch (IllegalArgumentException e) {
      throw new S3mp.UsageError(e.getMessage());
    }
    DrkeyKeySource source = scionOptions.drkeySource();
    return new DrkeyAssociationKeys(source, meter, trusted, DrkeyAssociationKeys.DEFAULT_GRACE,
        java.time.Clock.systemUTC());
  }

  private KeysFile loadKeys() throws Exception {
    if (!Files.exists(keys)) {
      if (!generateKeys) {
        throw new S3mp.UsageError("keys file not found: " + keys + " (add --generate-keys to create one)");
      }
      KeysFile k = KeysFile.generate(
          new byte[] {'S', '3', 'M', 'P', 'H', 'E', 0, 1}, randomTitle());
      k.save(keys);
      spec.commandLine().getErr().println("meter: created keys file " + keys);
      return k;
    }
    return KeysFile.load(keys);
  }

  private static byte[] randomTitle() {
    byte[] t = new byte[] {'S', '3', 'M', 'P', 0, 0, 0, 0};
    byte[] r = new byte[4];
    new java.security.SecureRandom().nextBytes(r);
    System.arraycopy(r, 0, t, 4, 4);
    return t;
  }
}
