package org.s3mp.headend.polling;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One meter session's executor without a thread of its own: its tasks run one at a time and in the order given
 * (what a single-thread executor guarantees), on the shared {@code workers}, timed by the shared {@code timer}.
 * A session waiting on its meter occupies one worker, never the timer. Shut down like an executor service.
 */
final class SessionExecutor implements Executor {

  private static final Logger log = LoggerFactory.getLogger(SessionExecutor.class);

  /** A periodic task; cancelling it lets a run in progress finish. */
  interface Periodic {
    void cancel();
  }

  /**
   * What the session's next task waits for before it takes a worker (a meter without an association: a slot to
   * open one), without a thread waiting.
   */
  interface Gate {
    /** Runs {@code proceed} once the next task may take a worker: now, or later on another thread. */
    void beforeNext(Runnable proceed);

    /** After each turn on a worker (whether a task ran or not): gives back what {@link #beforeNext} took. */
    void afterTurn();

    Gate NONE = new Gate() {
      @Override
      public void beforeNext(Runnable proceed) {
        proceed.run();
      }

      @Override
      public void afterTurn() {}
    };
  }

  private final ScheduledExecutorService timer;
  private final Executor workers;
  private final Gate gate;
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition stopped = lock.newCondition();
  private final ArrayDeque<Runnable> queue = new ArrayDeque<>(); // guarded by lock
  private final List<Repeating> periodic = new ArrayList<>(); // guarded by lock
  private boolean submitted; // a run of the next task is with the workers or running (guarded by lock)
  private Thread runner; // the worker running a task of this session (guarded by lock)
  private boolean shutdown; // guarded by lock

  SessionExecutor(ScheduledExecutorService timer, Executor workers) {
    this(timer, workers, Gate.NONE);
  }

  SessionExecutor(ScheduledExecutorService timer, Executor workers, Gate gate) {
    this.timer = timer;
    this.workers = workers;
    this.gate = gate;
  }

  /** @throws RejectedExecutionException after {@link #shutdown()} */
  @Override
  public void execute(Runnable task) {
    lock.lock();
    try {
      if (shutdown) {
        throw new RejectedExecutionException("the meter's session is closed");
      }
      queue.add(task);
      if (submitted) {
        return;
      }
      submitted = true;
    } finally {
      lock.unlock();
    }
    submit();
  }

  /**
   * Runs {@code task} every {@code period} after {@code initialDelay}. A tick while the previous run still waits or
   * runs (a slow meter) is skipped: the meter's backlog does not grow with its slowness.
   */
  Periodic scheduleAtFixedRate(Runnable task, long initialDelay, long period, TimeUnit unit) {
    Repeating r = new Repeating(task, -1);
    r.start(() -> timer.scheduleAtFixedRate(r::tick, initialDelay, period, unit));
    return r;
  }

  /** Runs {@code task} after {@code initialDelay}, then {@code delay} after the end of each run. */
  Periodic scheduleWithFixedDelay(Runnable task, long initialDelay, long delay, TimeUnit unit) {
    Repeating r = new Repeating(task, unit.toNanos(delay));
    r.start(() -> timer.schedule(r::tick, initialDelay, unit));
    return r;
  }

  /** Accepts nothing more and cancels the periodic tasks; the tasks given before still run. */
  void shutdown() {
    List<Repeating> cancelled;
    lock.lock();
    try {
      shutdown = true;
      cancelled = List.copyOf(periodic);
      periodic.clear();
      if (!submitted) {
        stopped.signalAll();
      }
    } finally {
      lock.unlock();
    }
    cancelled.forEach(Repeating::cancel);
  }

  /** {@link #shutdown()}, drops the tasks not started and interrupts the one running. */
  void shutdownNow() {
    shutdown();
    lock.lock();
    try {
      queue.clear();
      if (runner != null) {
        runner.interrupt();
      }
    } finally {
      lock.unlock();
    }
  }

  /** Whether it is shut down and no task runs or waits, within the timeout. */
  boolean awaitTermination(long timeout, TimeUnit unit) throws InterruptedException {
    long nanos = unit.toNanos(timeout);
    lock.lock();
    try {
      while (!(shutdown && !submitted)) {
        if (nanos <= 0) {
          return false;
        }
        nanos = stopped.awaitNanos(nanos);
      }
      return true;
    } finally {
      lock.unlock();
    }
  }

  boolean isShutdown() {
    lock.lock();
    try {
      return shutdown;
    } finally {
      lock.unlock();
    }
  }

  private void submit() {
    gate.beforeNext(this::dispatch);
  }

  private void dispatch() {
    try {
      workers.execute(this::runNext);
    } catch (RejectedExecutionException e) {
      // the workers are closed (the poller is): nothing of this session will run any more
      lock.lock();
      try {
        queue.clear();
        submitted = false;
        stopped.signalAll();
      } finally {
        lock.unlock();
      }
      gate.afterTurn();
      log.debug("meter task dropped: the workers are closed");
    }
  }

  /** On a worker: one task, then the next one is handed back to the workers (others get their turn between). */
  private void runNext() {
    Runnable task;
    lock.lock();
    try {
      task = queue.poll();
      if (task == null) { // dropped by shutdownNow meanwhile
        submitted = false;
        stopped.signalAll();
      } else {
        runner = Thread.currentThread();
      }
    } finally {
      lock.unlock();
    }
    if (task == null) {
      gate.afterTurn();
      return;
    }
    try {
      task.run();
    } catch (RuntimeException e) {
      log.warn("a meter task failed: {}", e.toString());
    } finally {
      gate.afterTurn();
      boolean more;
      lock.lock();
      try {
        runner = null;
        Thread.interrupted(); // an interrupt of shutdownNow is for this task only, never for the worker's next
        more = !queue.isEmpty();
        if (!more) {
          submitted = false;
          stopped.signalAll();
        }
      } finally {
        lock.unlock();
      }
      if (more) {
        submit();
      }
    }
  }

  /** A periodic task: the timer only ticks, the run goes through the session's queue. */
  private final class Repeating implements Periodic {
    private final Runnable task;
    private final long delayNanos; // < 0: at a fixed rate; else: this long after each run
    private final AtomicBoolean pending = new AtomicBoolean();
    private ScheduledFuture<?> next; // guarded by this
    private boolean cancelled; // guarded by this

    Repeating(Runnable task, long delayNanos) {
      this.task = task;
      this.delayNanos = delayNanos;
    }

    void start(java.util.function.Supplier<ScheduledFuture<?>> schedule) {
      lock.lock();
      try {
        if (shutdown) {
          throw new RejectedExecutionException("the meter's session is closed");
        }
        periodic.add(this);
      } finally {
        lock.unlock();
      }
      synchronized (this) {
        if (!cancelled) { // shut down meanwhile
          next = schedule.get();
        }
      }
    }

    /** On the timer: hands one run to the session unless one is pending. */
    void tick() {
      if (!pending.compareAndSet(false, true)) {
        return;
      }
      try {
        execute(this::run);
      } catch (RejectedExecutionException e) {
        pending.set(false); // shut down meanwhile
      }
    }

    private void run() {
      try {
        synchronized (this) {
          if (cancelled) {
            return;
          }
        }
        task.run();
      } finally {
        pending.set(false);
        if (delayNanos >= 0) {
          synchronized (this) {
            if (!cancelled) {
              try {
                next = timer.schedule(this::tick, delayNanos, TimeUnit.NANOSECONDS);
              } catch (RejectedExecutionException e) {
                cancelled = true; // the timer is closed
              }
            }
          }
        }
      }
    }

    @Override
    public void cancel() {
      synchronized (this) {
        cancelled = true;
        if (next != null) {
          next.cancel(false);
        }
      }
      lock.lock();
      try {
        periodic.remove(this);
      } finally {
        lock.unlock();
      }
    }
  }
}
