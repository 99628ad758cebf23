package org.s3mp.dlms.transport.tcp;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.s3mp.dlms.transport.PduHandler;
import org.s3mp.dlms.transport.Peer;
import org.s3mp.dlms.transport.ServerEndpoint;

class TcpServerEndpointTest {

  /** version 1, wPorts 1 → 1, one byte of APDU. */
  private static final byte[] PDU = {0, 1, 0, 1, 0, 1, 0, 1, 0x42};

  @Test
  void closeWaitsForThePduBeingHandled() throws Exception {
    CountDownLatch handling = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    AtomicBoolean handled = new AtomicBoolean();
    PduHandler slow = new PduHandler() {
      @Override
      public void received(Peer peer, byte[] pdu, ServerEndpoint endpoint) {
        handling.countDown();
        try {
          release.await(30, TimeUnit.SECONDS); // e.g. a push being stored
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
        handled.set(true);
      }
    };
    TcpServerEndpoint endpoint = TcpServerEndpoint.start(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0),
        slow, TcpServerEndpoint.DEFAULT_PRE_ASSOCIATION_TIMEOUT);
    int port = endpoint.localUrl().hostPort().port();
    try (Socket client = new Socket(InetAddress.getLoopbackAddress(), port)) {
      OutputStream out = client.getOutputStream();
      out.write(PDU);
      out.flush();
      assertThat(handling.await(30, TimeUnit.SECONDS)).as("the PDU reached the handler").isTrue();

      AtomicBoolean handledWhenClosed = new AtomicBoolean();
      Thread closer = new Thread(() -> {
        endpoint.close();
        handledWhenClosed.set(handled.get());
      });
      closer.start();
      closer.join(300); // without the drain, close() is back long before this
      release.countDown();
      closer.join(TimeUnit.SECONDS.toMillis(30));
      assertThat(closer.isAlive()).isFalse();
      assertThat(handledWhenClosed).as("close() returned only after the PDU being handled was done").isTrue();
    } finally {
      release.countDown();
      endpoint.close();
    }
  }
}
