package org.s3mp.dlms.transport.tcp;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.DataInputStream;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
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

  private static byte[] pdu(int apdu) {
    return new byte[] {0, 1, 0, 1, 0, 1, 0, 1, (byte) apdu};
  }

  private static TcpServerEndpoint listen(PduHandler handler, int maxConnections) throws Exception {
    return TcpServerEndpoint.start(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), handler,
        TcpServerEndpoint.DEFAULT_PRE_ASSOCIATION_TIMEOUT, maxConnections, maxConnections);
  }

  private static long threadsNamed(String prefix) {
    return Thread.getAllStackTraces().keySet().stream().filter(t -> t.getName().startsWith(prefix)).count();
  }

  /** Echoes every PDU back to its peer. */
  private static final PduHandler ECHO = new PduHandler() {
    @Override
    public void received(Peer peer, byte[] pdu, ServerEndpoint endpoint) {
      try {
        endpoint.send(peer, pdu);
      } catch (java.io.IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    }
  };

  @Test
  void twoHundredConnectionsAreServedWithoutAThreadEach() throws Exception {
    int connections = 200;
    int threadsBefore = ManagementFactory.getThreadMXBean().getThreadCount();
    List<TcpServerEndpoint> endpoints = new ArrayList<>();
    List<Socket> clients = new ArrayList<>();
    try {
      // two listeners of the process share the selector and the workers
      endpoints.add(listen(ECHO, connections));
      endpoints.add(listen(ECHO, connections));
      for (int i = 0; i < connections; i++) {
        Socket c = new Socket(InetAddress.getLoopbackAddress(), endpoints.get(i % 2).localUrl().hostPort().port());
        clients.add(c);
        c.getOutputStream().write(pdu(i));
      }
      for (int i = 0; i < connections; i++) {
        byte[] reply = new byte[9];
        new DataInputStream(clients.get(i).getInputStream()).readFully(reply);
        assertThat(reply).as("reply on connection %d", i).isEqualTo(pdu(i));
      }
      // every connection is open and has been served: a thread per connection would be 200 more
      assertThat(threadsNamed("dlms-tcp")).isLessThanOrEqualTo(1 + TcpLoop.WORKERS);
      assertThat(ManagementFactory.getThreadMXBean().getThreadCount() - threadsBefore)
          .as("threads added for %d connections on 2 listeners", connections).isLessThanOrEqualTo(1 + TcpLoop.WORKERS);
    } finally {
      for (Socket c : clients) {
        c.close();
      }
      endpoints.forEach(TcpServerEndpoint::close);
    }
  }

  @Test
  void aConnectionsPdusAreHandledOneAtATimeInOrder() throws Exception {
    int count = 100;
    List<Integer> seen = new CopyOnWriteArrayList<>();
    AtomicInteger inHandler = new AtomicInteger();
    AtomicInteger mostAtOnce = new AtomicInteger();
    CountDownLatch all = new CountDownLatch(count);
    PduHandler recording = new PduHandler() {
      @Override
      public void received(Peer peer, byte[] pdu, ServerEndpoint endpoint) {
        mostAtOnce.accumulateAndGet(inHandler.incrementAndGet(), Math::max);
        Thread.yield(); // gives another worker the chance to overlap, were the endpoint to allow it
        seen.add(pdu[8] & 0xff);
        inHandler.decrementAndGet();
        all.countDown();
      }
    };
    TcpServerEndpoint endpoint = listen(recording, 4);
    try (Socket client = new Socket(InetAddress.getLoopbackAddress(), endpoint.localUrl().hostPort().port())) {
      byte[] burst = new byte[9 * count]; // all in one write: the PDUs arrive together
      for (int i = 0; i < count; i++) {
        System.arraycopy(pdu(i), 0, burst, 9 * i, 9);
      }
      client.getOutputStream().write(burst);
      assertThat(all.await(30, TimeUnit.SECONDS)).isTrue();
      List<Integer> expected = new ArrayList<>();
      for (int i = 0; i < count; i++) {
        expected.add(i);
      }
      assertThat(seen).isEqualTo(expected);
      assertThat(mostAtOnce.get()).as("PDUs of one connection in the handler at once").isEqualTo(1);
    } finally {
      endpoint.close();
    }
  }

  @Test
  void aSlowHandlerOnOneConnectionDoesNotHoldUpAnother() throws Exception {
    CountDownLatch slowStarted = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    Map<Integer, Boolean> handledWhileSlow = new ConcurrentHashMap<>();
    CountDownLatch fastHandled = new CountDownLatch(1);
    PduHandler handler = new PduHandler() {
      @Override
      public void received(Peer peer, byte[] pdu, ServerEndpoint endpoint) {
        if (pdu[8] == 1) {
          slowStarted.countDown();
          try {
            release.await(30, TimeUnit.SECONDS);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
        } else {
          handledWhileSlow.put((int) pdu[8], release.getCount() > 0);
          fastHandled.countDown();
        }
      }
    };
    TcpServerEndpoint endpoint = listen(handler, 4);
    int port = endpoint.localUrl().hostPort().port();
    try (Socket slow = new Socket(InetAddress.getLoopbackAddress(), port);
        Socket fast = new Socket(InetAddress.getLoopbackAddress(), port)) {
      slow.getOutputStream().write(pdu(1));
      assertThat(slowStarted.await(30, TimeUnit.SECONDS)).isTrue();
      fast.getOutputStream().write(pdu(2));
      assertThat(fastHandled.await(30, TimeUnit.SECONDS)).as("the other connection was served").isTrue();
      assertThat(handledWhileSlow).containsEntry(2, true);
    } finally {
      release.countDown();
      endpoint.close();
    }
  }
}
