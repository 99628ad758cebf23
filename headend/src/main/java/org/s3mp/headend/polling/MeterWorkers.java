package org.s3mp.headend.polling;

import java.util.ArrayDeque;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The threads all meter sessions share for their blocking DLMS exchanges: at most {@code limit} tasks run at
 * once, the rest wait in order. Threads exist only while there is work: an idle thread is reused before a new one
 * is made (the pool's hand-off queue gives work to the most recently idle thread) and threads idle for
 * {@code keepAlive} end, so 10,000 idle meters hold no thread. (A plain {@link ThreadPoolExecutor} with a queue
 * and a core size grows to its core size whatever the load: it starts a thread per task below it.)
 */
final class MeterWorkers implements Executor, AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(MeterWorkers.class);

  private final int limit;
  private final ThreadPoolExecutor threads;
  private final ArrayDeque<Runnable> backlog = new ArrayDeque<>(); // guarded by this
  private int busy; // guarded by this
  private boolean closed; // guarded by this

  MeterWorkers(String namePrefix, int limit, long keepAlive, TimeUnit unit) {
    if (limit < 1) {
      throw new IllegalArgumentException("limit " + limit);
    }
    this.limit = limit;
    AtomicInteger n = new AtomicInteger();
    // no bound here: `busy` bounds the threads at work; one that just finished may still be on its way back
    this.threads = new ThreadPoolExecutor(0, Integer.MAX_VALUE, keepAlive, unit, new SynchronousQueue<>(), r -> {
      Thread t = new Thread(r, namePrefix + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    });
  }

  @Override
  public void execute(Runnable task) {
    synchronized (this) {
      if (closed) {
        throw new RejectedExecutionException("the meter workers are closed");
      }
      if (busy >= limit) {
        backlog.add(task);
        return;
      }
      busy++;
    }
    try {
      threads.execute(() -> work(task));
    } catch (RejectedExecutionException e) {
      synchronized (this) {
        busy--;
      }
      throw e;
    }
  }

  /** Runs the task, then whatever waits, until nothing does. */
  private void work(Runnable first) {
    Runnable task = first;
    while (task != null) {
      Thread.interrupted(); // an interrupt meant for the previous task is not this one's
      try {
        task.run();
      } catch (Throwable t) {
        log.warn("a meter task failed: {}", t.toString());
      }
      synchronized (this) {
        task = backlog.poll();
        if (task == null) {
          busy--;
        }
      }
    }
  }

  /** Tasks running now. */
  synchronized int busy() {
    return busy;
  }

  /** Tasks waiting for a worker (all {@code limit} are busy). */
  synchronized int waiting() {
    return backlog.size();
  }

  /** Threads alive now, at work or idle (idle ones end after the keep-alive). */
  int threads() {
    return threads.getPoolSize();
  }

  /** Runs nothing more (close the sessions first); interrupts what still runs. */
  @Override
  public void close() {
    synchronized (this) {
      closed = true;
      backlog.clear();
    }
    threads.shutdownNow();
    try {
      if (!threads.awaitTermination(5, TimeUnit.SECONDS)) {
        log.warn("meter workers still running 5 s after close");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
