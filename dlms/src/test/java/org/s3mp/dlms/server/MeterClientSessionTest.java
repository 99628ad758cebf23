package org.s3mp.dlms.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.math.BigDecimal;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.s3mp.dlms.MeterObjects;
import org.s3mp.dlms.client.ClientSecurity;
import org.s3mp.dlms.client.MeterClient;
import org.s3mp.dlms.client.RetryPolicy;
import org.s3mp.dlms.client.Session;
import org.s3mp.dlms.security.KeysFile;

/**
 * A {@link Session} of real {@link MeterClient}s with the in-memory meter (here for its backend): a link that
 * breaks in the middle of a read costs one new association, and the read is answered on it.
 */
class MeterClientSessionTest {
  @TempDir Path dir;
  KeysFile keys;
  CosemServer server;
  final AtomicInteger links = new AtomicInteger();
  /** Exchanges (over all links) after which the link in use breaks once; negative: never. */
  final AtomicInteger breakAfter = new AtomicInteger(-1);
  final List<String> heard = new CopyOnWriteArrayList<>();

  @BeforeEach
  void start() throws IOException {
    keys = KeysFile.generate(new byte[] {'S', '3', 'M', 'P', 0, 0, 0, 3}, new byte[] {'S', '3', 'M', 'P', 0, 0, 3, 3});
    server = new CosemServer(new InMemoryBackend(), keys, new FileCounterStore(dir.resolve("counters")));
  }

  Session<MeterClient> session(int reassociations) {
    return new Session<>(
        () -> MeterClient.open(new BreakingLink("link-" + links.incrementAndGet()), ClientSecurity.management(keys),
            Duration.ofSeconds(5)),
        new RetryPolicy(reassociations, Duration.ofSeconds(5), Duration.ZERO), new Session.Listener<>() {
          @Override
          public void opened(MeterClient c) {
            heard.add("opened");
          }

          @Override
          public void dropped(String reason) {
            heard.add("dropped: " + reason);
          }
        });
  }

  @Test
  void aReadWhoseLinkBreaksIsAnsweredOnANewAssociation() throws Exception {
    Session<MeterClient> s = session(1);
    assertThat(s.run(c -> c.readRegister(MeterObjects.ACTIVE_POWER_IMPORT)).value())
        .isEqualByComparingTo(new BigDecimal("285.6"));
    assertThat(links).hasValue(1);
    breakAfter.set(0); // the next exchange: the read's GET
    assertThat(s.run(c -> c.readRegister(MeterObjects.ACTIVE_POWER_IMPORT)).value())
        .isEqualByComparingTo(new BigDecimal("285.6"));
    assertThat(links).as("one new association (and link) for the retry").hasValue(2);
    assertThat(heard).containsExactly("opened", "dropped: link-1 broke", "opened");
    s.close();
  }

  @Test
  void withoutReassociationsTheBrokenLinksFailureIsTheReadsResult() throws Exception {
    Session<MeterClient> s = session(0);
    s.run(c -> c.readRegister(MeterObjects.ACTIVE_POWER_IMPORT));
    breakAfter.set(0);
    assertThatThrownBy(() -> s.run(c -> c.readRegister(MeterObjects.ACTIVE_POWER_IMPORT)))
        .isInstanceOf(IOException.class).hasMessage("link-1 broke");
    assertThat(links).hasValue(1);
    assertThat(s.associated()).isFalse();
  }

  /** A link to the in-memory meter that fails once, when {@link #breakAfter} counts down to it. */
  private final class BreakingLink extends InMemoryLink {
    private final String name;

    BreakingLink(String name) {
      super(server::handle, name);
      this.name = name;
    }

    @Override
    public byte[] exchange(byte[] request, Duration timeout) throws IOException {
      if (breakAfter.getAndUpdate(n -> n < 0 ? n : n - 1) == 0) {
        throw new IOException(name + " broke");
      }
      return super.exchange(request, timeout);
    }
  }
}
