package org.s3mp.headend.polling;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import org.s3mp.dlms.client.ClientSecurity;
import org.s3mp.dlms.client.MeterClient;
import org.s3mp.dlms.client.RegisterReading;
import org.s3mp.dlms.client.RelayState;
import org.s3mp.dlms.security.KeysFile;
import org.s3mp.headend.fleet.KeysDirectory;
import org.s3mp.dlms.transport.LinkOptions;
import org.s3mp.dlms.transport.MeterUrl;
import org.s3mp.headend.fleet.MeterSpec;
import org.s3mp.headend.fleet.NetworkPath;
import org.s3mp.headend.fleet.ProfileEntry;
import org.s3mp.headend.fleet.RegisterValue;

/**
 * Real meters: a DLMS/COSEM management association through {@link MeterClient}. The head-end hands over only
 * the URL, the security (keys file or keys from the network) and the path policy; the client picks the transport.
 */
public final class DlmsMeterConnector implements MeterConnector {

  private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(DlmsMeterConnector.class);

  private final Duration timeout;
  private final String daemon;

  /** Plain TCP and static keys only (no SCION daemon configured). */
  public DlmsMeterConnector(Duration timeout) {
    this(timeout, null);
  }

  /**
   * @param timeout for connecting and for each response (SCION links retransmit within it, see ScionClientLink)
   * @param daemon the SCION daemon for scion:// meters and their keys from the network (null:
   *     $SCION_DAEMON_ADDRESS, then the default)
   */
  public DlmsMeterConnector(Duration timeout, String daemon) {
    this.timeout = timeout;
    this.daemon = daemon;
  }

  @Override
  public MeterConnection open(MeterSpec spec) throws IOException {
    ClientSecurity security = spec.drkey()
        ? ClientSecurity.fromNetwork()
        : ClientSecurity.management(keys(spec));
    MeterUrl url = MeterUrl.parse(spec.url());
    LinkOptions options = LinkOptions.of(timeout)
        .with(LinkOptions.SCION_DAEMON, daemon)
        .with(LinkOptions.PATH_POLICY, spec.policy());
    return new Association(MeterClient.open(url, security, options));
  }

  /** The meter's keys; the reason of a failure goes to the log only (viewers see lastError). */
  private static KeysFile keys(MeterSpec spec) throws IOException {
    try {
      return KeysDirectory.load(Path.of(spec.keysFile()));
    } catch (IOException | RuntimeException e) {
      log.warn("meter {}: {}", spec.id(), e.getMessage());
      throw new IOException("the meter's keys file is not usable (see the head-end log)");
    }
  }

  private static final class Association implements MeterConnection {
    private final MeterClient client;

    Association(MeterClient client) {
      this.client = client;
    }

    @Override
    public MeterSnapshot read() throws IOException {
      List<RegisterValue> registers = values(client.readRegisters());
      RelayState relay = client.readRelay();
      // recorded with the reading: the ASes with their interfaces, countries and latencies (geofence, history)
      return new MeterSnapshot(registers, relay(relay), client.lastPath().map(NetworkPath::of).orElse(null),
          client.takePathChange().orElse(null));
    }

    @Override
    public String disconnect() throws IOException {
      return relay(client.disconnect());
    }

    @Override
    public String reconnect() throws IOException {
      return relay(client.reconnect());
    }

    @Override
    public String showMessage(String text) throws IOException {
      client.setMessage(text);
      return client.readMessage();
    }

    @Override
    public org.s3mp.dlms.server.PushSettings readPushSettings() throws IOException {
      return client.readPushSettings();
    }

    @Override
    public org.s3mp.dlms.server.PushSettings setPush(String destination, long periodSeconds) throws IOException {
      client.setPushDestination(org.s3mp.dlms.MeterObjects.PUSH_REGISTERS, destination);
      client.setPushDestination(org.s3mp.dlms.MeterObjects.PUSH_EVENTS, destination);
      client.setPushPeriod(periodSeconds);
      return client.readPushSettings();
    }

    @Override
    public List<ProfileEntry> readProfile(Instant from, Instant to) throws IOException {
      return client.readLoadProfile(from, to).stream()
          .map(e -> new ProfileEntry(e.time(), values(e.values())))
          .toList();
    }

    @Override
    public Instant readClock() throws IOException {
      return client.readClock();
    }

    @Override
    public void setClock(Instant time) throws IOException {
      client.setClock(time);
    }

    @Override
    public void close() {
      client.close();
    }

    private static List<RegisterValue> values(List<RegisterReading> readings) {
      return readings.stream().map(r -> new RegisterValue(r.obis().toString(), r.value(), r.unit())).toList();
    }

    private static String relay(RelayState state) {
      return state.control().name().toLowerCase(Locale.ROOT);
    }
  }
}
