package org.s3mp.meter;

import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.s3mp.dlms.transport.ClientLink;
import org.s3mp.dlms.transport.MeterUrl;
import org.s3mp.dlms.transport.PduHandler;
import org.s3mp.dlms.transport.ServerEndpoint;
import org.s3mp.dlms.transport.TransportProvider;
import org.s3mp.dlms.transport.Transports;

/** {@code rec://HOST:PORT}: TCP that records every request PDU a client sends (to replay them in tests). */
public final class RecordingTransport implements TransportProvider {
  static final List<byte[]> REQUESTS = new CopyOnWriteArrayList<>();

  @Override
  public String scheme() {
    return "rec";
  }

  @Override
  public boolean datagram() {
    return false;
  }

  @Override
  public ClientLink connect(MeterUrl url, Duration timeout) throws IOException {
    MeterUrl tcp = new MeterUrl("tcp", url.address());
    ClientLink link = Transports.forUrl(tcp).connect(tcp, timeout);
    return new ClientLink() {
      @Override
      public byte[] exchange(byte[] request, Duration t) throws IOException {
        REQUESTS.add(request.clone());
        return link.exchange(request, t);
      }

      @Override
      public boolean datagram() {
        return false;
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
    throw new UnsupportedOperationException("recording is client side only");
  }
}
