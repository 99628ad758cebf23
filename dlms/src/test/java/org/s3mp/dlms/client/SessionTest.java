package org.s3mp.dlms.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The session's retry policy, with a stand-in association (the in-memory meter: MeterClientSessionTest). */
class SessionTest {

  /** An association that counts its operations and knows whether it was closed. */
  static final class Fake implements AutoCloseable {
    final int number;
    boolean closed;

    Fake(int number) {
      this.number = number;
    }

    @Override
    public void close() {
      closed = true;
    }
  }

  final AtomicInteger opened = new AtomicInteger();
  final List<Fake> associations = new CopyOnWriteArrayList<>();
  final List<String> heard = new CopyOnWriteArrayList<>();
  /** Associations that fail to open before one opens. */
  int refusals;

  Session<Fake> session(int reassociations) {
    return new Session<>(() -> {
      if (refusals > 0) {
        refusals--;
        throw new IOException("connection refused");
      }
      Fake f = new Fake(opened.incrementAndGet());
      associations.add(f);
      return f;
    }, new RetryPolicy(reassociations, Duration.ofSeconds(1), Duration.ZERO), new Session.Listener<>() {
      @Override
      public void opened(Fake a) {
        heard.add("opened " + a.number);
      }

      @Override
      public void openFailed(String reason) {
        heard.add("open failed: " + reason);
      }

      @Override
      public void dropped(String reason) {
        heard.add("dropped: " + reason);
      }
    });
  }

  @Test
  void anOperationThatFailsRunsAgainOnANewAssociationAndTheBrokenOneIsClosed() throws Exception {
    Session<Fake> s = session(1);
    AtomicInteger calls = new AtomicInteger();
    int on = s.run(a -> {
      if (calls.incrementAndGet() == 1) {
        throw new IOException("no response within 1000 ms");
      }
      return a.number;
    });
    assertThat(on).as("the second attempt ran on a new association").isEqualTo(2);
    assertThat(associations.get(0).closed).isTrue();
    assertThat(heard).containsExactly("opened 1", "dropped: no response within 1000 ms", "opened 2");
    // kept open for the next operation
    assertThat(s.<Integer>run(a -> a.number)).isEqualTo(2);
    assertThat(opened).hasValue(2);
    assertThat(s.associated()).isTrue();
  }

  @Test
  void attemptsAreOnePlusTheReassociationsThenTheLastFailureIsThrown() {
    Session<Fake> s = session(2);
    AtomicInteger calls = new AtomicInteger();
    assertThatThrownBy(() -> s.run(a -> {
      throw new IOException("broken " + calls.incrementAndGet());
    })).isInstanceOf(IOException.class).hasMessage("broken 3");
    assertThat(opened).hasValue(3);
    assertThat(associations).allSatisfy(a -> assertThat(a.closed).isTrue());
    assertThat(s.associated()).isFalse();
  }

  @Test
  void withoutReassociationsAFailureIsFinal() {
    Session<Fake> s = session(0);
    assertThatThrownBy(() -> s.run(a -> {
      throw new MeterException("meter answered HARDWARE_FAULT", "HARDWARE_FAULT", null);
    })).isInstanceOf(MeterException.class);
    assertThat(opened).hasValue(1);
  }

  @Test
  void aFailedOpenIsReportedAndAttemptedAgain() throws Exception {
    refusals = 1;
    Session<Fake> s = session(1);
    assertThat(s.<Integer>run(a -> a.number)).isEqualTo(1);
    assertThat(heard).containsExactly("open failed: connection refused", "dropped: connection refused", "opened 1");
  }

  @Test
  void aRefusedRequestKeepsTheAssociationAndIsNotRepeated() throws Exception {
    Session<Fake> s = session(3);
    AtomicInteger calls = new AtomicInteger();
    assertThatThrownBy(() -> s.run(a -> {
      calls.incrementAndGet();
      throw new IllegalArgumentException("message too long");
    })).isInstanceOf(IllegalArgumentException.class);
    assertThat(calls).hasValue(1);
    assertThat(s.associated()).isTrue();
    assertThat(associations.get(0).closed).isFalse();
  }

  @Test
  void anInterruptedThreadMakesNoAttempt() {
    Session<Fake> s = session(1);
    Thread.currentThread().interrupt();
    try {
      assertThatThrownBy(() -> s.run(a -> a.number)).isInstanceOf(InterruptedException.class);
      assertThat(opened).hasValue(0);
    } finally {
      Thread.interrupted();
    }
  }

  @Test
  void closeClosesTheOpenAssociation() throws Exception {
    Session<Fake> s = session(0);
    s.run(a -> a.number);
    s.close();
    assertThat(associations.get(0).closed).isTrue();
    assertThat(s.associated()).isFalse();
    assertThat(s.<Integer>run(a -> a.number)).isEqualTo(2);
  }

  @Test
  void aPolicyThatMakesNoSenseIsRefusedWithItsReason() {
    assertThatThrownBy(() -> new RetryPolicy(-1, Duration.ofSeconds(1), Duration.ZERO))
        .hasMessageContaining("reassociations (retries) must be >= 0, got -1");
    assertThatThrownBy(() -> new RetryPolicy(1, Duration.ZERO, Duration.ZERO))
        .hasMessageContaining("response timeout must be positive");
    assertThatThrownBy(() -> new RetryPolicy(1, Duration.ofSeconds(1), Duration.ofMillis(-1)))
        .hasMessageContaining("backoff must be zero or positive");
    assertThat(RetryPolicy.DEFAULT.withResponseTimeout(Duration.ofSeconds(2)))
        .isEqualTo(new RetryPolicy(1, Duration.ofSeconds(2), Duration.ZERO));
  }
}
