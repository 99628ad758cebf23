package org.s3mp.dlms.transport.scion;

import java.io.IOException;
import java.net.InetAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.s3mp.dlms.server.InMemoryRequestPath;
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
 * The SCION framing of {@link InMemoryRequestPath}: each wrapper PDU travels as an encoded SCION/UDP packet over a
 * three-hop path, is decoded on the meter's side and answered on the reversed path, as the meter's SCION endpoint
 * does; no socket, no daemon. For the JMH benchmark of the request path and the meter agent's warm-up.
 */
public final class InMemoryScionLink implements ClientLink {
  private static final IsdAs HEAD_END = IsdAs.parse("1-ff00:0:112");
  private static final IsdAs METER = IsdAs.parse("1-ff00:0:111");
  private static final HostAddress CLIENT_HOST = HostAddress.of(InetAddress.getLoopbackAddress());
  private static final HostAddress METER_HOST = HostAddress.of(InetAddress.getLoopbackAddress());
  private static final int CLIENT_PORT = 31000;
  private static final int METER_PORT = 4059;
  private static final Peer PEER = () -> "in-memory:scion";
  private final InMemoryRequestPath.Meter server;
  private final StandardPath path;

  public InMemoryScionLink(InMemoryRequestPath.Meter server) {
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
