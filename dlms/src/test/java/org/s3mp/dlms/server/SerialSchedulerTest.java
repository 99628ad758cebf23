package org.s3mp.dlms.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class SerialSchedulerTest {

  private static long threadsNamed(String prefix) {
    return Thread.getAllStackTraces().keySet().stream().filter(t -> t.getName().startsWith(prefix)).count();
  }

  @Test
  void threeHundredSchedulersTickOnTheSharedThreads() throws Exception {
    int meters = 300;
    List<SerialScheduler> schedulers = new ArrayList<>();
    CountDownLatch ticked = new CountDownLatch(meters * 3);
    try {
      for (int i = 0; i < meters; i++) {
        SerialScheduler s = SerialScheduler.create();
        schedulers.add(s);
        s.scheduleAtFixedRate(ticked::countDown, 0, 10, TimeUnit.MILLISECONDS);
      }
      assertThat(ticked.await(60, TimeUnit.SECONDS)).as("every scheduler ticked").isTrue();
      // a thread per scheduler (newSingleThreadScheduledExecutor) would be 300
      assertThat(threadsNamed("serial-")).isLessThanOrEqualTo(1 + SerialScheduler.WORKERS);
    } finally {
      schedulers.forEach(SerialScheduler::shutdownNow);
    }
  }

  @Test
  void tasksOfOneSchedulerRunOneAtATimeInOrder() throws Exception {
    SerialScheduler s = SerialScheduler.create();
    List<Integer> seen = new CopyOnWriteArrayList<>();
    AtomicInteger running = new AtomicInteger();
    AtomicInteger mostAtOnce = new AtomicInteger();
    for (int i = 0; i < 1000; i++) {
      int n = i;
      s.execute(() -> {
        mostAtOnce.accumulateAndGet(running.incrementAndGet(), Math::max);
        Thread.yield();
        seen.add(n);
        running.decrementAndGet();
      });
    }
    s.shutdown();
    assertThat(s.awaitTermination(30, TimeUnit.SECONDS)).isTrue();
    assertThat(seen).hasSize(1000);
    for (int i = 0; i < 1000; i++) {
      assertThat(seen.get(i)).isEqualTo(i);
    }
    assertThat(mostAtOnce.get()).isEqualTo(1);
    assertThatThrownBy(() -> s.execute(() -> {})).isInstanceOf(RejectedExecutionException.class);
  }

  @Test
  void aTaskCancelledByAnEarlierTaskOfTheSameSchedulerDoesNotRun() throws Exception {
    // as on one thread: a reschedule queued before a due tick cancels it for good (a capture is not done twice)
    SerialScheduler s = SerialScheduler.create();
    CountDownLatch gate = new CountDownLatch(1);
    CountDownLatch due = new CountDownLatch(1);
    AtomicInteger ran = new AtomicInteger();
    s.execute(() -> {
      try {
        gate.await(30, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    });
    ScheduledFuture<?>[] tick = new ScheduledFuture<?>[1];
    s.execute(() -> tick[0].cancel(false));
    tick[0] = s.schedule(ran::incrementAndGet, 0, TimeUnit.MILLISECONDS);
    s.schedule(due::countDown, 0, TimeUnit.MILLISECONDS);
    // the one timer thread fires in order: once another scheduler's task due after the tick has run, the tick has
    // fired and waits in the queue behind the cancel
    SerialScheduler other = SerialScheduler.create();
    other.schedule(() -> {}, 0, TimeUnit.MILLISECONDS).get(30, TimeUnit.SECONDS);
    other.shutdown();
    gate.countDown();
    assertThat(due.await(30, TimeUnit.SECONDS)).isTrue();
    s.shutdown();
    assertThat(s.awaitTermination(30, TimeUnit.SECONDS)).isTrue();
    assertThat(tick[0].isCancelled()).isTrue();
    assertThat(ran.get()).isZero();
  }

  @Test
  void aSubmittedTaskCompletesItsFuture() throws Exception {
    SerialScheduler s = SerialScheduler.create();
    assertThat(s.submit(() -> 42).get(30, TimeUnit.SECONDS)).isEqualTo(42);
    assertThat(s.schedule(() -> "later", 1, TimeUnit.MILLISECONDS).get(30, TimeUnit.SECONDS)).isEqualTo("later");
    s.shutdownNow();
  }
}
