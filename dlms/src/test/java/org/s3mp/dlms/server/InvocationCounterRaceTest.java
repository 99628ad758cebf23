package org.s3mp.dlms.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.math.BigDecimal;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.s3mp.dlms.MeterObjects;
import org.s3mp.dlms.client.ClientSecurity;
import org.s3mp.dlms.client.MeterClient;
import org.s3mp.dlms.client.MeterException;
import org.s3mp.dlms.security.KeysFile;

/**
 * The association's own retry (re-running a failed operation is a Session's): when another client with the same keys uses the meter's invocation
 * counter between this client's read of it and its AARQ, the meter refuses the AARQ as a replay and the client
 * reads the counter again and associates with the new one, at most three times, then says why.
 */
class InvocationCounterRaceTest {
  @TempDir Path dir;
  KeysFile keys;
  CosemServer server;

  @BeforeEach
  void start() throws IOException {
    keys = KeysFile.generate(new byte[] {'S', '3', 'M', 'P', 0, 0, 0, 2}, new byte[] {'S', '3', 'M', 'P', 0, 0, 2, 2});
    server = new CosemServer(new InMemoryBackend(), keys, new FileCounterStore(dir.resolve("counters")));
  }

  @Test
  void anotherClientTakingTheCounterOnceCostsOneMoreAssociation() throws Exception {
    RacingLink link = new RacingLink("a", 1);
    try (MeterClient a = MeterClient.open(link, ClientSecurity.management(keys), Duration.ofSeconds(5))) {
      assertThat(a.readRegister(MeterObjects.ACTIVE_POWER_IMPORT).value())
          .isEqualByComparingTo(new BigDecimal("285.6"));
    }
    // the first management AARQ was refused, the second (with the counter read again) accepted
    assertThat(link.managementAarqs.get()).isEqualTo(2);
    assertThat(link.races.get()).isEqualTo(1);
  }

  @Test
  void aClientThatLosesTheRaceEveryTimeGivesUpAfterThreeAndSaysWhy() {
    RacingLink link = new RacingLink("a", Integer.MAX_VALUE);
    assertThatThrownBy(() -> MeterClient.open(link, ClientSecurity.management(keys), Duration.ofSeconds(5)))
        .isInstanceOf(MeterException.class)
        .hasMessageContaining("another client is using the same keys")
        .hasMessageContaining("give each client its own keys");
    assertThat(link.managementAarqs.get()).isEqualTo(3);
  }

  @Test
  void aRefusalThatIsNoRaceIsNotTriedAgain() throws Exception {
    KeysFile wrong = KeysFile.generate(keys.clientSystemTitle(), keys.serverSystemTitle());
    RacingLink link = new RacingLink("a", 0);
    assertThatThrownBy(() -> MeterClient.open(link, ClientSecurity.management(wrong), Duration.ofSeconds(5)))
        .isInstanceOf(MeterException.class)
        .hasMessageContaining("refused the association")
        .hasMessageNotContaining("another client");
    assertThat(link.managementAarqs.get()).isEqualTo(1);
  }

  /**
   * A link to the in-process meter that, before each of the first {@code races} management AARQs of its client,
   * lets another client with the same keys associate and read once: that client uses the counter just read.
   */
  private final class RacingLink extends InMemoryLink {
    private final int racesToRun;
    final AtomicInteger managementAarqs = new AtomicInteger();
    final AtomicInteger races = new AtomicInteger();

    RacingLink(String name, int races) {
      super(server::handle, name);
      this.racesToRun = races;
    }

    @Override
    public byte[] exchange(byte[] request, Duration timeout) throws IOException {
      if (isManagementAarq(request)) {
        managementAarqs.incrementAndGet();
        if (races.get() < racesToRun) {
          races.incrementAndGet();
          try (MeterClient other = MeterClient.open(new RacingLink("other-" + races.get(), 0),
              ClientSecurity.management(keys), Duration.ofSeconds(5))) {
            other.readRegister(MeterObjects.ACTIVE_POWER_IMPORT);
          }
        }
      }
      return super.exchange(request, timeout);
    }

    /** Wrapper header (version, source wPort = client SAP, destination wPort, length), then the AARQ tag 0x60. */
    private static boolean isManagementAarq(byte[] pdu) {
      return pdu.length > 8 && (((pdu[2] & 0xFF) << 8) | (pdu[3] & 0xFF)) == 1 && (pdu[8] & 0xFF) == 0x60;
    }
  }
}
