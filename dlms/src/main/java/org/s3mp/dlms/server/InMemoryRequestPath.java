package org.s3mp.dlms.server;

import java.io.IOException;
import java.math.BigDecimal;
import java.net.InetAddress;
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
import org.s3mp.scion.IsdAs;
import org.s3mp.scion.packet.HopField;
import org.s3mp.scion.packet.HostAddress;
import org.s3mp.scion.packet.InfoField;
import org.s3mp.scion.packet.PacketParseException;
import org.s3mp.scion.packet.ScionHeader;
import org.s3mp.scion.packet.ScionPacket;
import org.s3mp.scion.packet.StandardPath;
import org.s3mp.scion.packet.UdpDatagram;

/**
 * The whole request path of a reading without a network: the DLMS client encodes a GET on an open HLS-GMAC
 * association, the meter's {@link CosemServer} handles it, the client decodes the answer. With SCION framing the
 * wrapper PDUs also travel as encoded SCION/UDP packets over a three-hop path, decoded on the other side and
 * answered on the reversed path, as the meter's SCION endpoint does. A fixed backend and in-memory counters stand
 * in for the meter, so nothing real is read or persisted.
 *
 * <p>Used by the JMH benchmark of the request path and by the meter agent's start-up warm-up (which lets the JIT
 * compile the request path before the first real reading).
 */
public final class InMemoryRequestPath implements AutoCloseable {
  /** How the wrapper PDUs travel between client and meter. */
  public enum Framing {
    /** The IEC 62056-47 wrapper PDU as TCP carries it. */
    TCP,
    /** The wrapper PDU as the payload of a SCION/UDP packet. */
    SCION
  }

  private final MeterClient client;

  private InMemoryRequestPath(MeterClient client) {
    this.client = client;
  }

  /** A meter and a management client with a fresh association between them. */
  public static InMemoryRequestPath open(Framing framing) throws IOException {
    KeysFile keys = KeysFile.generate(new byte[] {'S', '3', 'M', 'W', 'A', 'R', 'M', 'C'},
        new byte[] {'S', '3', 'M', 'W', 'A', 'R', 'M', 'S'});
    CosemServer server = new CosemServer(new FixedBackend(), keys, new MemoryCounters());
    ClientLink link = framing == Framing.TCP ? new WrapperLink(server) : new ScionLink(server);
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

  /** The wrapper PDU handed over as it is: what a TCP stream carries. */
  private static final class WrapperLink implements ClientLink {
    private static final Peer PEER = () -> "in-memory:tcp";
    private final CosemServer server;

    WrapperLink(CosemServer server) {
      this.server = server;
    }

    @Override
    public byte[] exchange(byte[] request, Duration timeout) throws IOException {
      byte[] reply = server.handle(PEER, request, false);
      if (reply == null) {
        throw new IOException("the in-memory meter dropped the request");
      }
      return reply;
    }

    @Override
    public boolean datagram() {
      return false;
    }

    @Override
    public MeterUrl remote() {
      return new MeterUrl("tcp", "in-memory");
    }

    @Override
    public void close() {}
  }

  /** Wrapper PDUs inside encoded SCION/UDP packets, the reply on the reversed path. */
  private static final class ScionLink implements ClientLink {
    private static final IsdAs HEAD_END = IsdAs.parse("1-ff00:0:112");
    private static final IsdAs METER = IsdAs.parse("1-ff00:0:111");
    private static final HostAddress CLIENT_HOST = HostAddress.of(InetAddress.getLoopbackAddress());
    private static final HostAddress METER_HOST = HostAddress.of(InetAddress.getLoopbackAddress());
    private static final int CLIENT_PORT = 31000;
    private static final int METER_PORT = 4059;
    private static final Peer PEER = () -> "in-memory:scion";
    private final CosemServer server;
    private final StandardPath path;

    ScionLink(CosemServer server) {
      this.server = server;
      long now = Instant.now().getEpochSecond();
      byte[] mac = new byte[6];
      List<HopField> hops = List.of(new HopField(0, 63, 0, 2, mac), new HopField(0, 63, 1, 3, mac),
          new HopField(0, 63, 1, 0, mac));
      this.path = new StandardPath(0, 0, 0, 3, 0, 0, List.of(new InfoField(0, 0, 1, now)), hops);
    }

    @Override
    public byte[] exchange(byte[] request, Duration timeout) throws IOException {
      byte[] wire = new ScionPacket(ScionHeader.of(1, METER, METER_HOST, HEAD_END, CLIENT_HOST), path,
          new UdpDatagram(CLIENT_PORT, METER_PORT, request)).encode();
      // the meter's side: decode, handle the payload, answer on the reversed path
      byte[] answer;
      try {
        ScionPacket in = ScionPacket.decode(wire);
        if (!(in.l4() instanceof UdpDatagram u)) {
          throw new IOException("not a UDP datagram");
        }
        byte[] reply = server.handle(PEER, u.payload(), true);
        if (reply == null) {
          throw new IOException("the in-memory meter dropped the request");
        }
        ScionHeader h = in.header();
        answer = new ScionPacket(ScionHeader.of(1, h.srcIsdAs(), h.srcHost(), h.dstIsdAs(), h.dstHost()),
            in.path().reversed(), new UdpDatagram(u.dstPort(), u.srcPort(), reply)).encode();
        // the client's side
        ScionPacket back = ScionPacket.decode(answer);
        if (!(back.l4() instanceof UdpDatagram r)) {
          throw new IOException("not a UDP datagram");
        }
        return r.payload();
      } catch (PacketParseException e) {
        throw new IOException(e.getMessage(), e);
      }
    }

    @Override
    public boolean datagram() {
      return true;
    }

    @Override
    public MeterUrl remote() {
      return new MeterUrl("scion", METER + ",[127.0.0.1]:" + METER_PORT);
    }

    @Override
    public void close() {}
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
