package org.s3mp.dlms.transport.tcp;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketAddress;
import java.net.SocketException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * The accept loop out of file descriptors: a listening socket stand-in whose accept fails with EMFILE a scripted
 * number of times (no real exhaustion), and a pause that records instead of sleeping.
 */
class TcpAcceptBackoffTest {

  private final ListAppender<ILoggingEvent> logged = new ListAppender<>();
  private final Logger logger = (Logger) LoggerFactory.getLogger(TcpServerEndpoint.class);

  @BeforeEach
  void listen() {
    logged.start();
    logger.addAppender(logged);
  }

  @AfterEach
  void stopListening() {
    logger.detachAppender(logged);
  }

  /** Accept script: an IOException per failure, a socket per success; once done, blocks until closed. */
  static final class ScriptedServerSocket extends ServerSocket {
    final Deque<Object> script;
    final AtomicInteger attempts = new AtomicInteger();
    final CountDownLatch scriptDone = new CountDownLatch(1);
    private final CountDownLatch closed = new CountDownLatch(1);

    ScriptedServerSocket(List<Object> script) throws IOException {
      this.script = new ArrayDeque<>(script);
    }

    @Override
    public Socket accept() throws IOException {
      attempts.incrementAndGet();
      Object next;
      synchronized (script) {
        next = script.poll();
      }
      if (next instanceof IOException e) {
        throw e;
      }
      if (next instanceof Socket s) {
        return s;
      }
      scriptDone.countDown();
      try {
        closed.await();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      throw new SocketException("Socket closed");
    }

    @Override
    public SocketAddress getLocalSocketAddress() {
      return new InetSocketAddress(InetAddress.getLoopbackAddress(), 4059);
    }

    @Override
    public void close() {
      closed.countDown();
    }
  }

  private static IOException emfile() {
    return new IOException("Too many open files");
  }

  @Test
  void failedAcceptsBackOffDoublingToOneSecondAndAreLoggedOncePerEpisode() throws Exception {
    try (ServerSocket real = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
        Socket client = new Socket(InetAddress.getLoopbackAddress(), real.getLocalPort());
        Socket accepted = real.accept()) {
      List<Object> script = new java.util.ArrayList<>();
      for (int i = 0; i < 7; i++) {
        script.add(emfile());
      }
      script.add(accepted); // a descriptor was free again: one connection gets through
      script.add(emfile());
      script.add(emfile());
      ScriptedServerSocket server = new ScriptedServerSocket(script);
      List<Duration> pauses = new CopyOnWriteArrayList<>();
      TcpServerEndpoint endpoint = TcpServerEndpoint.serve(server, new org.s3mp.dlms.transport.PduHandler() {
            @Override
            public void received(org.s3mp.dlms.transport.Peer peer, byte[] pdu,
                org.s3mp.dlms.transport.ServerEndpoint ep) {}
          }, TcpServerEndpoint.DEFAULT_PRE_ASSOCIATION_TIMEOUT, TcpServerEndpoint.MAX_CONNECTIONS,
          TcpServerEndpoint.MAX_CONNECTIONS_PER_ADDRESS, pauses::add);
      try {
        assertThat(server.scriptDone.await(30, TimeUnit.SECONDS)).as("the loop went through the script").isTrue();
        assertThat(server.attempts.get()).as("one accept per scripted step, then the blocking one").isEqualTo(11);
        assertThat(pauses).containsExactly(ms(100), ms(200), ms(400), ms(800), ms(1000), ms(1000), ms(1000),
            ms(100), ms(200));
        List<String> lines = logged.list.stream().map(ILoggingEvent::getFormattedMessage)
            .filter(m -> m.startsWith("accept on ")).toList();
        assertThat(lines).hasSize(3);
        assertThat(lines.get(0)).contains("Too many open files", "retrying after 100 ms", "up to 1000 ms");
        assertThat(lines.get(1)).contains("works again after 7 failed attempts");
        assertThat(lines.get(2)).contains("Too many open files");
      } finally {
        endpoint.close();
      }
    }
  }

  private static Duration ms(long millis) {
    return Duration.ofMillis(millis);
  }
}
