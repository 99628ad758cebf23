package org.s3mp.dlms.server;

import java.io.IOException;
import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.s3mp.dlms.MeterObjects;
import org.s3mp.dlms.ObisCode;
import org.s3mp.dlms.client.ClientSecurity;
import org.s3mp.dlms.client.MeterClient;
import org.s3mp.dlms.security.KeysFile;
import org.s3mp.dlms.transport.ClientLink;
import org.s3mp.dlms.transport.MeterUrl;
import org.s3mp.dlms.transport.Peer;

/**
 * The whole request path of a reading without a network: the DLMS client encodes a GET on an open HLS-GMAC
 * association, the meter's {@link CosemServer} handles it, the client decodes the answer. A fixed backend and
 * in-memory counters stand in for the meter, so nothing real is read or persisted. The framing is a link around
 * the in-memory meter: the TCP wrapper here ({@link #TCP}), SCION/UDP packets in the SCION transport's module
 * ({@code org.s3mp.dlms.transport.scion.InMemoryScionLink}), so that this class needs no SCION code.
 *
 * <p>Used by the JMH benchmark of the request path and by the meter agent's start-up warm-up (which lets the JIT
 * compile the request path before the first real reading).
 */
public final class InMemoryRequestPath implements AutoCloseable {
  /** How the wrapper PDUs travel between client and meter: a link whose exchange hands them to the meter. */
  @FunctionalInterface
  public interface Framing {
    ClientLink link(Meter meter);
  }

  /** The in-memory meter's side of a link: one wrapper PDU in, its answer out (null: dropped). */
  @FunctionalInterface
  public interface Meter {
    byte[] handle(Peer peer, byte[] pdu, boolean datagram);
  }

  /** The IEC 62056-47 wrapper PDU handed over as it is: what a TCP stream carries. */
  public static final Framing TCP = meter -> new InMemoryLink(meter, "tcp");

  private final MeterClient client;

  private InMemoryRequestPath(MeterClient client) {
    this.client = client;
  }

  /** A meter and a management client with a fresh association between them, the PDUs in the given framing. */
  public static InMemoryRequestPath open(Framing framing) throws IOException {
    KeysFile keys = KeysFile.generate(new byte[] {'S', '3', 'M', 'W', 'A', 'R', 'M', 'C'},
        new byte[] {'S', '3', 'M', 'W', 'A', 'R', 'M', 'S'});
    CosemServer server = new CosemServer(new FixedBackend(), keys, new MemoryCounters());
    ClientLink link = framing.link(server::handle);
    return new InMemoryRequestPath(MeterClient.open(link, ClientSecurity.management(keys), Duration.ofSeconds(5)));
  }

  /** One reading of a register, as the benchmarks do it (value and scaler-unit in one GET-with-list). */
  public BigDecimal read() throws IOException {
    return client.readRegister(MeterObjects.ACTIVE_POWER_IMPORT).value();
  }

  @Override
  public void close() {
    client.close();
  }

  /** Constant values: reads cost no meter source. */
  private static final class FixedBackend implements MeterBackend {
    @Override
    public String serialNumber() {
      return "S3MP-IN-MEMORY";
    }

    @Override
    public String firmwareId() {
      return "in-memory";
    }

    @Override
    public BigDecimal registerValue(ObisCode register) {
      return BigDecimal.valueOf(1234, 1);
    }

    @Override
    public Instant now() {
      return Instant.now();
    }

    @Override
    public void setClock(Instant time) {}

    @Override
    public RelayStatus relay() {
      return new RelayStatus(true, 1);
    }

    @Override
    public void disconnect() {}

    @Override
    public void reconnect() {}

    @Override
    public String message() {
      return "";
    }

    @Override
    public void setMessage(String text) {}

    @Override
    public int capturePeriodSeconds() {
      return 900;
    }

    @Override
    public List<ProfileRow> loadProfile(Instant from, Instant to) {
      return List.of();
    }

    @Override
    public List<ProfileRow> loadProfile(int first, int count) {
      return List.of();
    }

    @Override
    public int loadProfileEntries() {
      return 0;
    }

    @Override
    public int loadProfileCapacity() {
      return 0;
    }

    @Override
    public List<EventRow> events(Instant from, Instant to) {
      return List.of();
    }

    @Override
    public List<EventRow> events(int first, int count) {
      return List.of();
    }

    @Override
    public int eventEntries() {
      return 0;
    }

    @Override
    public int eventCapacity() {
      return 0;
    }

    @Override
    public void authenticationFailed(String peer, String reason) {}
  }

  /** Counters that live as long as the in-memory meter. */
  private static final class MemoryCounters implements CounterStore {
    private final Map<String, Long> server = new HashMap<>();
    private final Map<String, Long> client = new HashMap<>();

    @Override
    public long serverCounter(String keyId) {
      return server.getOrDefault(keyId, 1L);
    }

    @Override
    public void serverCounterAdvanced(String keyId, long next) {
      server.merge(keyId, next, Math::max);
    }

    @Override
    public long clientFloor(String keyId) {
      return client.getOrDefault(keyId, 0L);
    }

    @Override
    public void raiseClientFloor(String keyId, long floor) {
      client.merge(keyId, floor, Math::max);
    }
  }
}
