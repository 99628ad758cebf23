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
import org.s3mp.dlms.transport.NetworkKeys;
import org.s3mp.dlms.transport.PduHandler;
import org.s3mp.dlms.transport.ServerEndpoint;
import org.s3mp.dlms.transport.TransportProvider;
import org.s3mp.dlms.transport.Transports;

/**
 * A real transport that records every request PDU a client sends, so that tests can replay a genuine session as
 * an attacker would: {@code rec://HOST:PORT} over TCP, {@code recscion://ISD-AS,[IP]:PORT} over SCION.
 */
public abstract class RecordingTransport implements TransportProvider {
  static final List<byte[]> REQUESTS = new CopyOnWriteArrayList<>();
  /** The real link under the last recording client, so a test can inject a frame into that live association. */
  static volatile ClientLink lastLink;

  private final String scheme;
  private final String inner;

  RecordingTransport(String scheme, String inner) {
    this.scheme = scheme;
    this.inner = inner;
  }

  /** {@code rec://}: TCP. */
  public static final class Tcp extends RecordingTransport {
    public Tcp() {
      super("rec", "tcp");
    }
  }

  /** {@code recscion://}: SCION/UDP. */
  public static final class Scion extends RecordingTransport {
    public Scion() {
      super("recscion", "scion");
    }
  }

  @Override
  public String scheme() {
    return scheme;
  }

  @Override
  public boolean datagram() {
    return Transports.forUrl(new MeterUrl(inner, "x")).datagram();
  }

  @Override
  public ClientLink connect(MeterUrl url, Duration timeout) throws IOException {
    return connect(url, LinkOptions.of(timeout));
  }

  @Override
  public ClientLink connect(MeterUrl url, LinkOptions options) throws IOException {
    MeterUrl real = new MeterUrl(inner, url.address());
    ClientLink link = Transports.forUrl(real).connect(real, options);
    lastLink = link;
    return new ClientLink() {
      @Override
      public byte[] exchange(byte[] request, Duration t) throws IOException {
        REQUESTS.add(request.clone());
        return link.exchange(request, t);
      }

      @Override
      public boolean datagram() {
        return link.datagram();
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
      public Optional<NetworkKeys> networkKeys() throws IOException {
        return link.networkKeys();
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
