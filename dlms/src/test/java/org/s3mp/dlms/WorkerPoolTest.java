package org.s3mp.dlms;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class WorkerPoolTest {

  @Test
  void tasksOneAfterTheOtherDoNotFillThePool() throws Exception {
    ExecutorService pool = WorkerPool.create("test-pool", 16);
    try {
      Set<String> threads = ConcurrentHashMap.newKeySet();
      for (int i = 0; i < 50; i++) {
        pool.submit(() -> threads.add(Thread.currentThread().getName())).get(30, TimeUnit.SECONDS);
      }
      // a fixed pool starts a thread per task until it has 16; here an idle thread takes the next task
      assertThat(threads.size()).isLessThan(16);
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void busyThreadsMakeItGrowUpToItsBoundThenTasksWait() throws Exception {
    ExecutorService pool = WorkerPool.create("test-pool", 3);
    CountDownLatch release = new CountDownLatch(1);
    CountDownLatch started = new CountDownLatch(3);
    CountDownLatch all = new CountDownLatch(5);
    Set<String> threads = ConcurrentHashMap.newKeySet();
    try {
      for (int i = 0; i < 5; i++) {
        pool.execute(() -> {
          threads.add(Thread.currentThread().getName());
          started.countDown();
          try {
            release.await(30, TimeUnit.SECONDS);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
          all.countDown();
        });
      }
      assertThat(started.await(30, TimeUnit.SECONDS)).as("three run at once").isTrue();
      release.countDown();
      assertThat(all.await(30, TimeUnit.SECONDS)).as("the two queued ran after").isTrue();
      assertThat(threads).hasSize(3);
    } finally {
      pool.shutdownNow();
    }
  }
}
