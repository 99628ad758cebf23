package org.s3mp.dlms.server;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.AbstractExecutorService;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Delayed;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A single-threaded scheduled executor without a thread of its own: the tasks of one meter (its pushes, its load
 * profile captures) run one at a time and in submission order, as on {@code newSingleThreadScheduledExecutor}, but
 * on a timer thread and a small worker pool shared by every meter of the process. 10,000 simulated meters in a few
 * processes had two threads each for these ticks, which used up the container's threads.
 *
 * <p>Differences from a single-thread executor that callers do not rely on: a periodic task that throws is logged
 * and keeps its schedule; tasks of one scheduler may run on different (pool) threads, one after the other.
 */
public final class SerialScheduler extends AbstractExecutorService implements ScheduledExecutorService {
  private static final Logger log = LoggerFactory.getLogger(SerialScheduler.class);
  /** Workers shared by all schedulers; tasks may block briefly (a push's TCP connect, a file write). */
  static final int WORKERS = 8;

  private static final ScheduledThreadPoolExecutor TIMER = timer();
  private static final ExecutorService POOL = org.s3mp.dlms.WorkerPool.create("serial-worker", WORKERS);

  private final ArrayDeque<Runnable> queue = new ArrayDeque<>(); // guarded by this
  private final Set<Timed<?>> timers = ConcurrentHashMap.newKeySet();
  private boolean running; // a drain is on a pool thread; guarded by this
  private boolean shutdown; // guarded by this

  private SerialScheduler() {}

  /** A new serial scheduler on the process's shared threads. */
  public static SerialScheduler create() {
    return new SerialScheduler();
  }

  private static ScheduledThreadPoolExecutor timer() {
    ScheduledThreadPoolExecutor t = new ScheduledThreadPoolExecutor(1, daemon("serial-timer"));
    t.setRemoveOnCancelPolicy(true); // rescheduled pushes and captures must not pile up cancelled entries
    return t;
  }

  private static ThreadFactory daemon(String name) {
    AtomicInteger n = new AtomicInteger();
    ThreadFactory base = Executors.defaultThreadFactory();
    return r -> {
      Thread t = base.newThread(r);
      t.setName(name + "-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
  }

  @Override
  public void execute(Runnable task) {
    synchronized (this) {
      if (shutdown) {
        throw new RejectedExecutionException("scheduler is shut down");
      }
      queue.add(task);
      if (running) {
        return;
      }
      running = true;
    }
    POOL.execute(this::drain);
  }

  /** Runs the queued tasks one after the other; a single drain per scheduler at a time keeps them serial. */
  private void drain() {
    while (true) {
      Runnable next;
      synchronized (this) {
        next = queue.poll();
        if (next == null) {
          running = false;
          notifyAll(); // awaitTermination
          return;
        }
      }
      try {
        next.run();
      } catch (RuntimeException | Error e) {
        log.error("scheduled task failed", e);
      }
    }
  }

  @Override
  public ScheduledFuture<?> schedule(Runnable command, long delay, TimeUnit unit) {
    return schedule(Executors.callable(command), delay, unit);
  }

  @Override
  public <V> ScheduledFuture<V> schedule(Callable<V> callable, long delay, TimeUnit unit) {
    Timed<V> t = new Timed<>(callable, false);
    t.start(() -> TIMER.schedule(t::fire, delay, unit));
    return t;
  }

  @Override
  public ScheduledFuture<?> scheduleAtFixedRate(Runnable command, long initialDelay, long period, TimeUnit unit) {
    Timed<Object> t = new Timed<>(Executors.callable(command), true);
    t.start(() -> TIMER.scheduleAtFixedRate(t::fire, initialDelay, period, unit));
    return t;
  }

  @Override
  public ScheduledFuture<?> scheduleWithFixedDelay(Runnable command, long initialDelay, long delay, TimeUnit unit) {
    // the delay counts from the end of a run, as on a single-thread executor: each run plans the next one
    FixedDelay f = new FixedDelay(command, delay, unit);
    f.plan(initialDelay, unit);
    return f;
  }

  /** A task waiting on the shared timer; when it fires it joins this scheduler's queue unless cancelled. */
  private final class Timed<V> implements ScheduledFuture<V> {
    private final Callable<V> task;
    private final boolean periodic;
    private final java.util.concurrent.CompletableFuture<V> result = new java.util.concurrent.CompletableFuture<>();
    private volatile ScheduledFuture<?> timer;
    private volatile boolean cancelled;

    Timed(Callable<V> task, boolean periodic) {
      this.task = task;
      this.periodic = periodic;
    }

    void start(java.util.function.Supplier<ScheduledFuture<?>> onTimer) {
      timers.add(this); // before it can fire: a one-shot removes itself when it ran
      this.timer = onTimer.get();
      if (cancelled || isShutdown()) {
        cancel(false);
      }
    }

    void fire() {
      try {
        execute(() -> {
          // cancelled after firing but before its turn (a reschedule queued ahead of it): does not run
          if (cancelled) {
            return;
          }
          try {
            V v = task.call();
            if (!periodic) {
              result.complete(v);
            }
          } catch (Exception e) {
            if (periodic) {
              log.error("periodic task failed", e);
            } else {
              result.completeExceptionally(e);
            }
          } finally {
            if (!periodic) {
              timers.remove(this);
            }
          }
        });
      } catch (RejectedExecutionException e) {
        cancel(false);
      }
    }

    @Override
    public boolean cancel(boolean mayInterruptIfRunning) {
      cancelled = true;
      ScheduledFuture<?> t = timer;
      if (t != null) {
        t.cancel(false);
      }
      timers.remove(this);
      return result.cancel(false);
    }

    @Override
    public long getDelay(TimeUnit unit) {
      ScheduledFuture<?> t = timer;
      return t == null ? 0 : t.getDelay(unit);
    }

    @Override
    public int compareTo(Delayed o) {
      return Long.compare(getDelay(TimeUnit.NANOSECONDS), o.getDelay(TimeUnit.NANOSECONDS));
    }

    @Override
    public boolean isCancelled() {
      return cancelled;
    }

    @Override
    public boolean isDone() {
      return cancelled || result.isDone();
    }

    @Override
    public V get() throws InterruptedException, ExecutionException {
      return result.get();
    }

    @Override
    public V get(long timeout, TimeUnit unit) throws InterruptedException, ExecutionException, TimeoutException {
      return result.get(timeout, unit);
    }
  }

  /** A fixed-delay task: one {@link Timed} run at a time, each planning the next after it ran. */
  private final class FixedDelay implements ScheduledFuture<Object> {
    private final Runnable command;
    private final long delay;
    private final TimeUnit unit;
    private volatile Timed<Object> current;
    private volatile boolean cancelled;

    FixedDelay(Runnable command, long delay, TimeUnit unit) {
      this.command = command;
      this.delay = delay;
      this.unit = unit;
    }

    void plan(long after, TimeUnit afterUnit) {
      Timed<Object> t = new Timed<>(() -> {
        try {
          command.run();
        } catch (RuntimeException e) {
          log.error("periodic task failed", e);
        }
        if (!cancelled && !isShutdown()) {
          plan(delay, unit);
        }
        return null;
      }, false);
      current = t;
      t.start(() -> TIMER.schedule(t::fire, after, afterUnit));
      if (cancelled) {
        t.cancel(false);
      }
    }

    @Override
    public boolean cancel(boolean mayInterruptIfRunning) {
      cancelled = true;
      Timed<Object> t = current;
      if (t != null) {
        t.cancel(false);
      }
      return true;
    }

    @Override
    public long getDelay(TimeUnit u) {
      Timed<Object> t = current;
      return t == null ? 0 : t.getDelay(u);
    }

    @Override
    public int compareTo(Delayed o) {
      return Long.compare(getDelay(TimeUnit.NANOSECONDS), o.getDelay(TimeUnit.NANOSECONDS));
    }

    @Override
    public boolean isCancelled() {
      return cancelled;
    }

    @Override
    public boolean isDone() {
      return cancelled;
    }

    @Override
    public Object get() throws InterruptedException, ExecutionException {
      throw new UnsupportedOperationException("a periodic task has no result");
    }

    @Override
    public Object get(long timeout, TimeUnit u) {
      throw new UnsupportedOperationException("a periodic task has no result");
    }
  }

  /** No new tasks; delayed and periodic ones are cancelled, queued ones still run. */
  @Override
  public void shutdown() {
    synchronized (this) {
      shutdown = true;
    }
    new ArrayList<>(timers).forEach(t -> t.cancel(false));
  }

  @Override
  public List<Runnable> shutdownNow() {
    List<Runnable> left;
    synchronized (this) {
      shutdown = true;
      left = new ArrayList<>(queue);
      queue.clear();
    }
    new ArrayList<>(timers).forEach(t -> t.cancel(false));
    return left;
  }

  @Override
  public synchronized boolean isShutdown() {
    return shutdown;
  }

  @Override
  public synchronized boolean isTerminated() {
    return shutdown && !running;
  }

  @Override
  public synchronized boolean awaitTermination(long timeout, TimeUnit unit) throws InterruptedException {
    long deadline = System.nanoTime() + unit.toNanos(timeout);
    while (!(shutdown && !running)) {
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        return false;
      }
      TimeUnit.NANOSECONDS.timedWait(this, left);
    }
    return true;
  }
}
