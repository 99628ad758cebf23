package org.s3mp.headend.fleet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.s3mp.headend.storage.Database;

/** The meters of a config file go into the registry together: new ones added, known ones updated. */
class FleetRegistryTest {
  @TempDir Path dir;
  Database db;
  FleetRegistry registry;

  @BeforeEach
  void open() {
    db = Database.open(dir.resolve("db").toString(), null, null);
    registry = new FleetRegistry(db);
  }

  @AfterEach
  void close() {
    db.close();
  }

  static MeterSpec meter(String id, int pollSeconds) {
    return new MeterSpec(id, "tcp://127.0.0.1:4059", id + ".keys", null, false, pollSeconds, true);
  }

  @Test
  void putAllAddsTheNewMetersAndUpdatesTheKnownOnesKeepingTheirContinuousFlag() {
    registry.put(meter("m1", 60));
    registry.setContinuous("m1", true);
    List<MeterSpec> config = new ArrayList<>();
    for (int i = 0; i < 200; i++) {
      config.add(meter("m" + i, 15));
    }
    registry.putAll(config);
    assertThat(registry.all()).hasSize(200).allSatisfy(m -> assertThat(m.pollSeconds()).isEqualTo(15));
    assertThat(registry.continuous("m1")).as("kept").isTrue();
    assertThat(registry.continuous("m2")).isFalse();
  }

  @Test
  void anInvalidMeterStoresNoneOfThem() {
    assertThatThrownBy(() -> registry.putAll(List.of(meter("ok", 60), meter("not ok", 60))))
        .isInstanceOf(IllegalArgumentException.class);
    assertThat(registry.all()).isEmpty();
  }
}
