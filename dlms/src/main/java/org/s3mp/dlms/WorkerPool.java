package org.s3mp.dlms;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedTransferQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A bounded pool of daemon threads that starts a thread only when every one it has is busy, and lets threads end
 * after 30 s idle. A plain fixed pool starts a new thread per task until it is full even when the others are idle,
 * so a meter process served its first 16 connections, one after the other, with 16 threads.
 */
public final class WorkerPool {
  private WorkerPool() {}

  /** Tasks are offered to an idle thread only; when there is none the pool grows, and when full they queue. */
  private static final class HandOff extends LinkedTransferQueue<Runnable> {
    @Override
    public boolean offer(Runnable r) {
      return tryTransfer(r);
    }

    void enqueue(Runnable r) {
      super.offer(r);
    }
  }

  /** A pool of at most {@code max} threads named {@code name-N}. */
  public static ExecutorService create(String name, int max) {
    HandOff queue = new HandOff();
    AtomicInteger n = new AtomicInteger();
    ThreadPoolExecutor pool = new ThreadPoolExecutor(0, max, 30, TimeUnit.SECONDS, queue, r -> {
      Thread t = new Thread(r, name + "-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    }, (r, p) -> {
      if (p.isShutdown()) {
        throw new RejectedExecutionException(name + " is shut down");
      }
      queue.enqueue(r); // every thread is busy and the pool is full: the task waits for the next free one
    });
    return pool;
  }
}
