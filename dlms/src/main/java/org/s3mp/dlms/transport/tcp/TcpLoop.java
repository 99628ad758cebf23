package org.s3mp.dlms.transport.tcp;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.time.Duration;
import java.util.Iterator;
import java.util.PriorityQueue;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The process's one selector thread for every TCP listener and connection, and the small pool of workers that
 * hand complete wrapper PDUs to the handlers. A thread per listener and per connection used up the container's
 * threads at 10,000 simulated meters (and a head-end's push listener took a thread per pushing meter).
 */
final class TcpLoop implements Runnable {
  private static final Logger log = LoggerFactory.getLogger(TcpLoop.class);
  /**
   * Handlers running at a time in the process; each connection has at most one PDU in a handler. They are bounded
   * but not few, as the meters' handlers mostly wait on fsyncs (the invocation-counter and energy reserves), not
   * the CPU: 500 meters in one process with 16 had all associations up after 38 s and a read p99 of 4.2 s, with 64
   * after 15 s and 1.1 s (a thread per connection: 16 s and 0.7 s); 4 per process at 10,000 meters never got all
   * up. The pool only grows while all its threads are busy.
   */
  static final int WORKERS = 64;
  /** How often connections' deadlines (pre-association, idle) are checked. */
  private static final long SCAN_NANOS = 100_000_000L;

  /** A registered channel's reaction to readiness, on the selector thread. */
  interface Ready {
    void ready(SelectionKey key);
  }

  /** Something with deadlines, checked on the selector thread. */
  interface Expiring {
    void expire(long nowNanos);
  }

  private record Timer(long at, Runnable task) {}

  private static volatile TcpLoop shared;

  private final Selector selector;
  private final Thread thread;
  private final ExecutorService workers;
  private final Queue<Runnable> onLoop = new ConcurrentLinkedQueue<>();
  private final PriorityQueue<Timer> timers = new PriorityQueue<>((a, b) -> Long.compare(a.at, b.at)); // loop only
  private final Set<Expiring> expiring = ConcurrentHashMap.newKeySet();

  private TcpLoop() throws IOException {
    selector = Selector.open();
    workers = org.s3mp.dlms.WorkerPool.create("dlms-tcp-worker", WORKERS); // grows only while all are busy
    thread = new Thread(this, "dlms-tcp-selector");
    thread.setDaemon(true);
  }

  /** The process's loop, started on first use; it runs as long as the process. */
  static TcpLoop shared() {
    TcpLoop l = shared;
    if (l == null) {
      synchronized (TcpLoop.class) {
        l = shared;
        if (l == null) {
          try {
            l = new TcpLoop();
          } catch (IOException e) {
            throw new UncheckedIOException("cannot open a selector: " + e.getMessage(), e);
          }
          l.thread.start();
          shared = l;
        }
      }
    }
    return l;
  }

  Selector selector() {
    return selector;
  }

  boolean inLoop() {
    return Thread.currentThread() == thread;
  }

  /** Runs {@code task} on the selector thread (registrations and interest changes happen there). */
  void onLoop(Runnable task) {
    onLoop.add(task);
    selector.wakeup();
  }

  /** Runs {@code task} on the selector thread after {@code delay}. */
  void later(Duration delay, Runnable task) {
    long at = System.nanoTime() + delay.toNanos();
    onLoop(() -> timers.add(new Timer(at, task)));
  }

  /**
   * Waits until the loop has gone once through a select, so channels closed before have really released their
   * descriptors and ports (a registered channel's close completes on the selector thread).
   */
  void settle() {
    if (inLoop()) {
      return;
    }
    CountDownLatch done = new CountDownLatch(1);
    onLoop(done::countDown);
    try {
      done.await(1, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  void work(Runnable task) {
    workers.execute(task);
  }

  void addExpiring(Expiring e) {
    expiring.add(e);
  }

  void removeExpiring(Expiring e) {
    expiring.remove(e);
  }

  @Override
  public void run() {
    long nextScan = System.nanoTime() + SCAN_NANOS;
    while (true) {
      try {
        long now = System.nanoTime();
        long until = nextScan;
        Timer first = timers.peek();
        if (first != null && first.at < until) {
          until = first.at;
        }
        long waitMs = Math.max(1, (until - now + 999_999) / 1_000_000);
        selector.select(waitMs);
        Iterator<SelectionKey> it = selector.selectedKeys().iterator();
        while (it.hasNext()) {
          SelectionKey key = it.next();
          it.remove();
          if (key.isValid()) {
            try {
              ((Ready) key.attachment()).ready(key);
            } catch (RuntimeException e) {
              log.error("TCP readiness handling failed", e);
            }
          }
        }
        Runnable task;
        while ((task = onLoop.poll()) != null) {
          run(task);
        }
        now = System.nanoTime();
        while ((first = timers.peek()) != null && first.at <= now) {
          timers.poll();
          run(first.task);
        }
        if (now >= nextScan) {
          nextScan = now + SCAN_NANOS;
          for (Expiring e : expiring) {
            e.expire(now);
          }
        }
      } catch (IOException | RuntimeException e) {
        log.error("TCP selector loop", e);
      }
    }
  }

  private static void run(Runnable task) {
    try {
      task.run();
    } catch (RuntimeException e) {
      log.error("TCP loop task failed", e);
    }
  }
}
