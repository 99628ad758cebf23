package org.s3mp.dlms.transport.tcp;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
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
 * The listener out of file descriptors: an accept that fails with EMFILE a scripted number of times while
 * connections are pending on a real listening socket (no real exhaustion), and a pause that records instead of
 * sleeping.
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

  /**
   * Accept script: an IOException per failure, the real accept per {@code ACCEPT}; once done, the real accept. The
   * real listener has connections pending all along, so the selector reports it acceptable as with real EMFILE.
   */
  static final class ScriptedAcceptor implements TcpServerEndpoint.Acceptor {
    static final Object ACCEPT = new Object();
    final Deque<Object> script;
    final AtomicInteger attempts = new AtomicInteger();
    final CountDownLatch scriptDone = new CountDownLatch(1);

    ScriptedAcceptor(List<Object> script) {
      this.script = new ArrayDeque<>(script);
    }

    @Override
    public SocketChannel accept(ServerSocketChannel server) throws IOException {
      Object next;
      synchronized (script) {
        next = script.poll();
      }
      if (next == null) {
        SocketChannel s = server.accept();
        if (s != null) {
          scriptDone.countDown();
        }
        return s;
      }
      attempts.incrementAndGet();
      if (next instanceof IOException e) {
        throw e;
      }
      return server.accept();
    }
  }

  private List<String> acceptLines() {
    List<ILoggingEvent> events;
    synchronized (logged) { // the appender appends under its own lock, from the listener's thread
      events = List.copyOf(logged.list);
    }
    return events.stream().map(ILoggingEvent::getFormattedMessage).filter(m -> m.startsWith("accept on ")).toList();
  }

  private static IOException emfile() {
    return new IOException("Too many open files");
  }

  @Test
  void failedAcceptsBackOffDoublingToOneSecondAndAreLoggedOncePerEpisode() throws Exception {
    try (ServerSocketChannel real = ServerSocketChannel.open()) {
      real.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 4);
      int port = ((InetSocketAddress) real.getLocalAddress()).getPort();
      try (Socket first = new Socket(InetAddress.getLoopbackAddress(), port);
          Socket second = new Socket(InetAddress.getLoopbackAddress(), port)) {
        List<Object> script = new java.util.ArrayList<>();
        for (int i = 0; i < 7; i++) {
          script.add(emfile());
        }
        script.add(ScriptedAcceptor.ACCEPT); // a descriptor was free again: one connection gets through
        script.add(emfile());
        script.add(emfile());
        ScriptedAcceptor acceptor = new ScriptedAcceptor(script);
        List<Duration> pauses = new CopyOnWriteArrayList<>();
        TcpServerEndpoint endpoint = TcpServerEndpoint.serve(real, acceptor, new org.s3mp.dlms.transport.PduHandler() {
              @Override
              public void received(org.s3mp.dlms.transport.Peer peer, byte[] pdu,
                  org.s3mp.dlms.transport.ServerEndpoint ep) {}
            }, TcpServerEndpoint.DEFAULT_PRE_ASSOCIATION_TIMEOUT, TcpServerEndpoint.MAX_CONNECTIONS,
            TcpServerEndpoint.MAX_CONNECTIONS_PER_ADDRESS, (d, resume) -> {
              pauses.add(d);
              resume.run();
            });
        try {
          assertThat(acceptor.scriptDone.await(30, TimeUnit.SECONDS)).as("the loop went through the script").isTrue();
          assertThat(acceptor.attempts.get()).as("one accept per scripted step").isEqualTo(10);
          assertThat(pauses).containsExactly(ms(100), ms(200), ms(400), ms(800), ms(1000), ms(1000), ms(1000),
              ms(100), ms(200));
          // the last "works again" is logged by the loop after the accept that ended the script returned
          org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> acceptLines().size() >= 4);
          List<String> lines = acceptLines();
          assertThat(lines).hasSize(4);
          assertThat(lines.get(0)).contains("Too many open files", "retrying after 100 ms", "up to 1000 ms");
          assertThat(lines.get(1)).contains("works again after 7 failed attempts");
          assertThat(lines.get(2)).contains("Too many open files");
          assertThat(lines.get(3)).contains("works again after 2 failed attempts");
        } finally {
          endpoint.close();
        }
      }
    }
  }

  private static Duration ms(long millis) {
    return Duration.ofMillis(millis);
  }
}
