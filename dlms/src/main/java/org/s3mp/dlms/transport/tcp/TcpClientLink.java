package org.s3mp.dlms.transport.tcp;

import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import org.s3mp.dlms.transport.ClientLink;
import org.s3mp.dlms.transport.MeterUrl;

final class TcpClientLink implements ClientLink {
  private final MeterUrl url;
  private final Socket socket;
  private final InputStream in;
  private final OutputStream out;

  private TcpClientLink(MeterUrl url, Socket socket) throws IOException {
    this.url = url;
    this.socket = socket;
    this.in = new BufferedInputStream(socket.getInputStream());
    this.out = socket.getOutputStream();
  }

  static TcpClientLink open(MeterUrl url, InetSocketAddress address, Duration timeout) throws IOException {
    Socket s = new Socket();
    try {
      s.setTcpNoDelay(true);
      s.connect(address, (int) Math.max(1, timeout.toMillis()));
      return new TcpClientLink(url, s);
    } catch (IOException e) {
      s.close();
      throw new IOException("cannot connect to " + url + ": " + e.getMessage(), e);
    }
  }

  @Override
  public byte[] exchange(byte[] request, Duration timeout) throws IOException {
    socket.setSoTimeout((int) Math.max(1, timeout.toMillis()));
    out.write(request);
    out.flush();
    byte[] pdu = WrapperStream.read(in);
    if (pdu == null) {
      throw new EOFException("meter " + url + " closed the connection");
    }
    return pdu;
  }

  @Override
  public void send(byte[] pdu) throws IOException {
    // a listener never writes on a push connection: readable means it closed (EOF) or reset it
    socket.setSoTimeout(1);
    try {
      if (in.read() < 0) {
        throw new EOFException(url + " closed the connection");
      }
      throw new IOException(url + " sent data on a push connection");
    } catch (java.net.SocketTimeoutException alive) {
      // nothing to read: the connection is open
    }
    out.write(pdu);
    out.flush();
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
    try {
      socket.close();
    } catch (IOException ignored) {
      // nothing left to release
    }
  }
}
