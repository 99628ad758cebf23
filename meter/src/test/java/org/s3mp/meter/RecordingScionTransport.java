package org.s3mp.meter;

import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import org.s3mp.dlms.transport.ClientLink;
import org.s3mp.dlms.transport.LinkOptions;
import org.s3mp.dlms.transport.LinkPath;
import org.s3mp.dlms.transport.MeterUrl;
import org.s3mp.dlms.transport.PduHandler;
import org.s3mp.dlms.transport.ServerEndpoint;
import org.s3mp.dlms.transport.TransportProvider;
import org.s3mp.dlms.transport.Transports;

/**
 * {@code recscion://...}: the real SCION transport, with every request PDU a client sends recorded, so that a
 * test can replay a genuine session as an attacker on the path would.
 */
public final class RecordingScionTransport implements TransportProvider {
  static final List<byte[]> SENT = new CopyOnWriteArrayList<>();

  @Override
  public String scheme() {
    return "recscion";
  }

  @Override
  public boolean datagram() {
    return true;
  }

  @Override
  public ClientLink connect(MeterUrl url, Duration timeout) throws IOException {
    return connect(url, LinkOptions.of(timeout));
  }

  @Override
  public ClientLink connect(MeterUrl url, LinkOptions options) throws IOException {
    MeterUrl real = new MeterUrl("scion", url.address());
    ClientLink link = Transports.forUrl(real).connect(real, options);
    return new ClientLink() {
      @Override
      public byte[] exchange(byte[] request, Duration t) throws IOException {
        SENT.add(request.clone());
        return link.exchange(request, t);
      }

      @Override
      public boolean datagram() {
        return true;
      }

      @Override
      public Optional<LinkPath> path() {
        return link.path();
      }

      @Override
      public Optional<String> localAddress() {
        return link.localAddress();
      }

      @Override
      public MeterUrl remote() {
        return url;
      }

      @Override
      public void close() {
        link.close();
      }
    };
  }

  @Override
  public ServerEndpoint listen(MeterUrl url, PduHandler handler) {
    throw new UnsupportedOperationException("recording is for clients only");
  }
}
