package org.s3mp.dlms.server;

import java.io.IOException;
import java.time.Duration;
import org.s3mp.dlms.transport.ClientLink;
import org.s3mp.dlms.transport.MeterUrl;
import org.s3mp.dlms.transport.Peer;

/**
 * A link to an in-memory meter that hands each wrapper PDU over as it is (what a TCP stream carries), as the peer
 * {@code in-memory:NAME}. Tests extend it to break or race an exchange before handing it on.
 */
class InMemoryLink implements ClientLink {
  private final InMemoryRequestPath.Meter meter;
  private final Peer peer;

  InMemoryLink(InMemoryRequestPath.Meter meter, String name) {
    this.meter = meter;
    this.peer = () -> "in-memory:" + name;
  }

  @Override
  public byte[] exchange(byte[] request, Duration timeout) throws IOException {
    byte[] reply = meter.handle(peer, request, false);
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
