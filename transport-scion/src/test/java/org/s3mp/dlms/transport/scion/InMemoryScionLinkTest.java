package org.s3mp.dlms.transport.scion;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.math.BigDecimal;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.s3mp.dlms.server.InMemoryRequestPath;

class InMemoryScionLinkTest {

  @Test
  void readsTheRegisterOverACipheredAssociationInScionPacketsRepeatedly() throws Exception {
    try (InMemoryRequestPath path = InMemoryRequestPath.open(InMemoryScionLink::new)) {
      for (int i = 0; i < 5; i++) {
        // the fixed backend's 123.4 W, scaled by the register's scaler -1 and back
        assertThat(path.read()).isEqualByComparingTo(new BigDecimal("123.4"));
      }
    }
  }

  @Test
  void handsTheMeterThePayloadAsADatagramAndReturnsItsAnswer() throws Exception {
    List<String> seen = new ArrayList<>();
    InMemoryScionLink link = new InMemoryScionLink((peer, pdu, datagram) -> {
      seen.add(peer.id() + " " + datagram + " " + new String(pdu));
      return "answer".getBytes();
    });
    assertThat(new String(link.exchange("request".getBytes(), Duration.ofSeconds(1)))).isEqualTo("answer");
    assertThat(seen).containsExactly("in-memory:scion true request");
    assertThat(link.datagram()).isTrue();
    assertThat(link.remote().scheme()).isEqualTo("scion");
  }

  @Test
  void aDroppedRequestIsAnIOException() {
    InMemoryScionLink link = new InMemoryScionLink((peer, pdu, datagram) -> null);
    assertThatThrownBy(() -> link.exchange(new byte[] {1}, Duration.ofSeconds(1)))
        .isInstanceOf(IOException.class).hasMessageContaining("dropped");
  }
}
