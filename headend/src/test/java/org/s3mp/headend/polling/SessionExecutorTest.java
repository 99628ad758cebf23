package org.s3mp.headend.polling;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.s3mp.headend.Conditions;

class SessionExecutorTest {

  final ScheduledThreadPoolExecutor timer = new ScheduledThreadPoolExecutor(1);
  final MeterWorkers workers = new MeterWorkers("test-io-", 4, 30, TimeUnit.SECONDS);

  {
    timer.setRemoveOnCancelPolicy(true);
  }

  @AfterEach
  void close() {
    timer.shutdownNow();
    workers.close();
  }

  @Test
  void aSessionsTasksRunOneAtATimeInTheOrderGiven() throws Exception {
    SessionExecutor session = new SessionExecutor(timer, workers);
    CountDownLatch allGiven = new CountDownLatch(1);
    CountDownLatch allRun = new CountDownLatch(100);
    AtomicInteger running = new AtomicInteger();
    AtomicInteger mostAtOnce = new AtomicInteger();
    List<Integer> order = new CopyOnWriteArrayList<>();
    for (int i = 0; i < 100; i++) {
      int n = i;
      session.execute(() -> {
        mostAtOnce.accumulateAndGet(running.incrementAndGet(), Math::max);
        try {
          if (n == 0) {
            allGiven.await(); // the other 99 are queued meanwhile, with 3 workers free to run them
          }
          order.add(n);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        } finally {
          running.decrementAndGet();
          allRun.countDown();
        }
      });
    }
    allGiven.countDown();
    assertThat(allRun.await(10, TimeUnit.SECONDS)).isTrue();
    assertThat(mostAtOnce).hasValue(1);
    List<Integer> expected = new ArrayList<>();
    for (int i = 0; i < 100; i++) {
      expected.add(i);
    }
    assertThat(order).isEqualTo(expected);
  }

  @Test
  void aBlockedSessionDoesNotHoldUpAnother() throws Exception {
    SessionExecutor silent = new SessionExecutor(timer, workers);
    SessionExecutor other = new SessionExecutor(timer, workers);
    CountDownLatch answer = new CountDownLatch(1);
    CountDownLatch silentWaiting = new CountDownLatch(1);
    CountDownLatch silentNext = new CountDownLatch(1);
    silent.execute(() -> {
      silentWaiting.countDown();
      try {
        answer.await();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    });
    silent.execute(silentNext::countDown);
    assertThat(silentWaiting.await(10, TimeUnit.SECONDS)).isTrue();

    CountDownLatch otherDone = new CountDownLatch(3);
    for (int i = 0; i < 3; i++) {
      other.execute(otherDone::countDown);
    }
    assertThat(otherDone.await(10, TimeUnit.SECONDS)).as("the other session's tasks ran").isTrue();
    assertThat(silentNext.getCount()).as("the silent session's next task waits for its first").isEqualTo(1);
    answer.countDown();
    assertThat(silentNext.await(10, TimeUnit.SECONDS)).isTrue();
  }

  @Test
  void moreBlockedSessionsThanWorkersWaitInTurnAndTakeNoMoreThreads() throws Exception {
    CountDownLatch answer = new CountDownLatch(1);
    CountDownLatch done = new CountDownLatch(10);
    for (int i = 0; i < 10; i++) {
      new SessionExecutor(timer, workers).execute(() -> {
        try {
          answer.await();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        } finally {
          done.countDown();
        }
      });
    }
    Conditions.await("4 busy, 6 waiting", Duration.ofSeconds(10), () -> workers.busy() == 4 && workers.waiting() == 6);
    assertThat(workers.threads()).isEqualTo(4);
    answer.countDown();
    assertThat(done.await(10, TimeUnit.SECONDS)).isTrue();
    Conditions.await("no task running", Duration.ofSeconds(10), () -> workers.busy() == 0);
    assertThat(workers.waiting()).isZero();
  }

  @Test
  void shutdownLetsTheTasksGivenRunAndRefusesNewOnesShutdownNowInterrupts() throws Exception {
    SessionExecutor session = new SessionExecutor(timer, workers);
    CountDownLatch started = new CountDownLatch(1);
    CountDownLatch never = new CountDownLatch(1);
    List<String> seen = new CopyOnWriteArrayList<>();
    session.execute(() -> {
      started.countDown();
      try {
        never.await();
      } catch (InterruptedException e) {
        seen.add("interrupted");
      }
    });
    session.execute(() -> seen.add("second"));
    AtomicInteger ticks = new AtomicInteger();
    session.scheduleAtFixedRate(ticks::incrementAndGet, 0, 1, TimeUnit.MILLISECONDS);
    assertThat(started.await(10, TimeUnit.SECONDS)).isTrue();

    session.shutdown();
    assertThatThrownBy(() -> session.execute(() -> {})).isInstanceOf(RejectedExecutionException.class);
    assertThat(timer.getQueue()).as("the periodic task left the timer").isEmpty();
    assertThat(session.awaitTermination(0, TimeUnit.SECONDS)).as("a task still runs").isFalse();

    session.shutdownNow();
    assertThat(session.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
    assertThat(seen).containsExactly("interrupted");
    assertThat(ticks).as("ticks while the session was busy queued nothing").hasValue(0);
  }

  @Test
  void aPeriodicTaskRunsUntilCancelledAndAnotherShutdownRunsWhatWasGiven() throws Exception {
    SessionExecutor session = new SessionExecutor(timer, workers);
    CountDownLatch threeRuns = new CountDownLatch(3);
    SessionExecutor.Periodic p = session.scheduleWithFixedDelay(threeRuns::countDown, 0, 1, TimeUnit.MILLISECONDS);
    assertThat(threeRuns.await(10, TimeUnit.SECONDS)).isTrue();
    p.cancel();
    CountDownLatch given = new CountDownLatch(1);
    session.execute(() -> {
      try {
        given.await();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    });
    List<String> seen = new CopyOnWriteArrayList<>();
    session.execute(() -> seen.add("given before shutdown"));
    session.shutdown();
    given.countDown();
    assertThat(session.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
    assertThat(seen).containsExactly("given before shutdown");
  }
}
