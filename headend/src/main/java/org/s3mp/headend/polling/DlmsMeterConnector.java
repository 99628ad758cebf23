package org.s3mp.headend.polling;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import org.s3mp.dlms.client.ClientSecurity;
import org.s3mp.dlms.client.MeterClient;
import org.s3mp.dlms.client.MeterException;
import org.s3mp.dlms.client.RegisterReading;
import org.s3mp.dlms.client.RelayState;
import org.s3mp.dlms.security.KeysFile;
import org.s3mp.headend.fleet.KeysDirectory;
import org.s3mp.headend.keys.MeterKeyStore;
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

  private final String daemon;

  /** Plain TCP and static keys only (no SCION daemon configured). */
  public DlmsMeterConnector() {
    this(null);
  }

  /**
   * @param daemon the SCION daemon for scion:// meters and their keys from the network (null:
   *     $SCION_DAEMON_ADDRESS, then the default)
   */
  public DlmsMeterConnector(String daemon) {
    this.daemon = daemon;
  }

  /** Where rotated keys are (null: every static-key meter uses its keys file). */
  private volatile MeterKeyStore keyStore;

  /** Rotated keys, when the head-end has a key store. */
  public void keyStore(MeterKeyStore store) {
    this.keyStore = store;
  }

  @Override
  public MeterConnection open(MeterSpec spec, Duration responseTimeout) throws IOException {
    if (spec.drkey()) {
      return new Association(MeterClient.open(MeterUrl.parse(spec.url()), ClientSecurity.fromNetwork(),
          options(spec, responseTimeout)));
    }
    return new Association(associate(spec, responseTimeout).client());
  }

  /** A management association with static keys, and the keys it was made with. */
  public record KeyedClient(MeterClient client, KeysFile keys) implements AutoCloseable {
    @Override
    public void close() {
      client.close();
    }
  }

  /**
   * A management association with the meter's current static keys: the rotated ones if any, else its keys file.
   * When the meter refuses them and keys were transferred to it, it has confirmed those (a rotation interrupted
   * after the confirmation reached the meter): they are tried, and recorded as current when they work.
   *
   * @param responseTimeout as in {@link #open(MeterSpec, Duration)}
   */
  public KeyedClient associate(MeterSpec spec, Duration responseTimeout) throws IOException {
    if (spec.drkey()) {
      throw new IllegalArgumentException("DRKey meters have no static keys");
    }
    MeterKeyStore store = keyStore;
    Optional<MeterKeyStore.Stored> stored =
        store == null ? Optional.empty() : store.find(spec.id());
    KeysFile current = stored.map(MeterKeyStore.Stored::current).orElse(null);
    if (current == null) {
      current = keys(spec);
    }
    KeysFile pending = stored.map(MeterKeyStore.Stored::pending).orElse(null);
    try {
      return new KeyedClient(open(spec, current, responseTimeout), current);
    } catch (MeterException refused) {
      if (pending == null) {
        throw refused;
      }
      MeterClient c;
      try {
        c = open(spec, pending, responseTimeout);
      } catch (IOException alsoRefused) {
        refused.addSuppressed(alsoRefused);
        throw refused;
      }
      store.confirm(spec.id(), pending);
      log.info("meter {}: refused keys {} but accepted the transferred keys {}: they are its keys now", spec.id(),
          current.keyId(), pending.keyId());
      return new KeyedClient(c, pending);
    }
  }

  /** The static keys the head-end holds as the meter's current ones: rotated ones if any, else its keys file. */
  public KeysFile currentKeys(MeterSpec spec) throws IOException {
    MeterKeyStore store = keyStore;
    KeysFile rotated = store == null ? null
        : store.find(spec.id()).map(MeterKeyStore.Stored::current).orElse(null);
    return rotated != null ? rotated : keys(spec);
  }

  /** A management association with the given static keys (a key rotation's confirmation). */
  public MeterClient open(MeterSpec spec, KeysFile keys, Duration responseTimeout) throws IOException {
    return MeterClient.open(MeterUrl.parse(spec.url()), ClientSecurity.management(keys),
        options(spec, responseTimeout));
  }

  private LinkOptions options(MeterSpec spec, Duration responseTimeout) {
    return LinkOptions.of(responseTimeout)
        .with(LinkOptions.SCION_DAEMON, daemon)
        .with(LinkOptions.PATH_POLICY, spec.policy());
  }

  /** The meter's keys file; the reason of a failure goes to the log only (viewers see lastError). */
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

    /** Thrown out of the client's block loop when the rollout stops the transfer. */
    private static final class Stop extends RuntimeException {
      Stop() {
        super(null, null, false, false);
      }
    }

    @Override
    public String transferFirmware(byte[] image, String firmwareId, Instant activateAt, FirmwareProgress progress)
        throws IOException {
      long[] sentSoFar = {0};
      try {
        return client.transferFirmware(image, firmwareId, sent -> {
          sentSoFar[0] = sent;
          if (!progress.sent(sent, image.length)) {
            throw new Stop();
          }
        }, progress::step, activateAt);
      } catch (Stop e) {
        throw new FirmwareRefusedException(FirmwareRefusedException.Kind.STOPPED,
            "transfer stopped by the head-end after " + sentSoFar[0] + " of " + image.length + " bytes", null);
      } catch (MeterException e) {
        if (e.dlmsError() == null) {
          throw e; // no answer or a broken association: the session opens a new one and sends the image again
        }
        // the meter answered with a refusal: the association is fine; status 7 is a failed start, rolled back
        int status = -1;
        try {
          status = client.readImageTransferStatus();
        } catch (IOException ignored) {
          // the refusal's message says enough
        }
        throw new FirmwareRefusedException(status == 7 ? FirmwareRefusedException.Kind.ROLLED_BACK
            : FirmwareRefusedException.Kind.REFUSED, e.getMessage(), e);
      }
    }

    @Override
    public String readFirmwareId() throws IOException {
      return client.readFirmwareId();
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
