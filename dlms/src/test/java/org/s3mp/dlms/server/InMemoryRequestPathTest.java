package org.s3mp.dlms.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigDecimal;
import org.junit.jupiter.api.Test;

class InMemoryRequestPathTest {

  @Test
  void readsTheRegisterOverACipheredAssociationRepeatedly() throws Exception {
    try (InMemoryRequestPath path = InMemoryRequestPath.open(InMemoryRequestPath.TCP)) {
      for (int i = 0; i < 5; i++) {
        // the fixed backend's 123.4 W, scaled by the register's scaler -1 and back
        assertThat(path.read()).isEqualByComparingTo(new BigDecimal("123.4"));
      }
    }
  }
}
