package org.s3mp.headend.polling;

import java.util.ArrayDeque;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;

/**
 * How many association set-ups run at once (each is a few DLMS exchanges with key derivation on both ends: 1,000
 * meters opening together made every handshake time out). A session waits for a slot in line without holding a
 * worker thread ({@link #acquireLater}), so that meters already associated are read meanwhile.
 */
final class AssociationSlots {

  private final ArrayDeque<Runnable> waiting = new ArrayDeque<>(); // guarded by this
  private int free; // guarded by this

  AssociationSlots(int slots) {
    this.free = slots;
  }

  /** Runs {@code granted} holding a slot: now, or on the thread of the {@link #release()} that frees one. */
  void acquireLater(Runnable granted) {
    synchronized (this) {
      if (free == 0) {
        waiting.add(granted);
        return;
      }
      free--;
    }
    granted.run();
  }

  /** Waits for a slot on this thread (an association re-opened within a task, after a failure). */
  void acquire() throws InterruptedException {
    CompletableFuture<Void> slot = new CompletableFuture<>();
    Runnable granted = () -> slot.complete(null);
    acquireLater(granted);
    try {
      slot.get();
    } catch (InterruptedException e) {
      boolean wasWaiting;
      synchronized (this) {
        wasWaiting = waiting.remove(granted);
      }
      if (!wasWaiting) {
        release(); // granted meanwhile
      }
      throw e;
    } catch (ExecutionException e) {
      throw new IllegalStateException(e); // never completed exceptionally
    }
  }

  /** Gives the slot to the next in line, or frees it. */
  void release() {
    Runnable next;
    synchronized (this) {
      next = waiting.poll();
      if (next == null) {
        free++;
        return;
      }
    }
    next.run();
  }

  /** Sessions waiting for a slot. */
  synchronized int waiting() {
    return waiting.size();
  }
}
