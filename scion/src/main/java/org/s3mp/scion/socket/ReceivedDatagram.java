package org.s3mp.scion.socket;

import java.net.InetSocketAddress;
import org.s3mp.scion.ScionAddress;
import org.s3mp.scion.packet.PathHeader;

/**
 * A SCION/UDP datagram received by a {@link ScionDatagramSocket}: who sent it, to which of our addresses, the
 * payload, and what is needed to answer: the reversed path and the underlay next hop for the reply.
 */
public record ReceivedDatagram(ScionAddress source, ScionAddress destination, byte[] payload, PathHeader replyPath,
    InetSocketAddress replyNextHop) {
  public ReceivedDatagram {
    payload = payload.clone();
  }

  @Override
  public byte[] payload() {
    return payload.clone();
  }
}
