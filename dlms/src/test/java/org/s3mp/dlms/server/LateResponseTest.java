package org.s3mp.dlms.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.function.Predicate;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.s3mp.dlms.MeterObjects;
import org.s3mp.dlms.client.ClientSecurity;
import org.s3mp.dlms.client.MeterClient;
import org.s3mp.dlms.security.KeysFile;

/**
 * On a datagram link a new association with a meter can meet the late responses of the conversation before it
 * (the same head-end address, e.g. a shared SCION socket): retransmitted requests answered twice, an association
 * given up on a timeout. None of them may pass for a response of the new one; the link skips what the client
 * says cannot answer its request.
 */
class LateResponseTest {
  @TempDir Path dir;
  KeysFile keys;
  CosemServer server;

  @BeforeEach
  void start() throws IOException {
    keys = KeysFile.generate(new byte[] {'S', '3', 'M', 'P', 0, 0, 0, 5}, new byte[] {'S', '3', 'M', 'P', 0, 0, 5, 5});
    server = new CosemServer(new InMemoryBackend(), keys, new FileCounterStore(dir.resolve("counters")));
  }

  /** A datagram link that first delivers the late PDUs it holds, each unless the client's test rejects it. */
  final class DatagramLink extends InMemoryLink {
    final Deque<byte[]> late = new ArrayDeque<>();
    final List<byte[]> responses = new ArrayList<>();
    int skipped;

    DatagramLink(List<byte[]> late) {
      super(server::handle, "head-end");
      this.late.addAll(late);
    }

    @Override
    public byte[] exchange(byte[] request, Duration timeout) throws IOException {
      return exchange(request, timeout, answer -> true);
    }

    @Override
    public byte[] exchange(byte[] request, Duration timeout, Predicate<byte[]> isAnswer) throws IOException {
      while (!late.isEmpty()) {
        byte[] pdu = late.poll();
        if (isAnswer.test(pdu)) {
          return pdu;
        }
        skipped++;
      }
      byte[] response = super.exchange(request, timeout);
      responses.add(response);
      return response;
    }

    @Override
    public boolean datagram() {
      return true;
    }
  }

  @Test
  void theLateResponsesOfAnEarlierAssociationDoNotPassForTheNextOnes() throws Exception {
    DatagramLink earlier = new DatagramLink(List.of());
    try (MeterClient c = MeterClient.open(earlier, ClientSecurity.management(keys), Duration.ofSeconds(5))) {
      c.readRegisters();
      c.readRelay();
    }
    // every response of its management association (AARE, HLS, reads, release) comes once more, late, when the next
    // association begins (the public client's counter read before it answers every client alike)
    List<byte[]> management = earlier.responses.stream()
        .filter(r -> org.s3mp.dlms.transport.WrapperPdu.destinationPort(r) == MeterObjects.MANAGEMENT_CLIENT).toList();
    assertThat(management).hasSizeGreaterThanOrEqualTo(5);
    DatagramLink next = new DatagramLink(management);
    try (MeterClient c = MeterClient.open(next, ClientSecurity.management(keys), Duration.ofSeconds(5))) {
      assertThat(c.readRegister(MeterObjects.ACTIVE_POWER_IMPORT).unit()).isEqualTo("W");
    }
    assertThat(next.skipped).as("late responses skipped").isEqualTo(management.size());
  }
}
