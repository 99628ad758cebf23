package org.s3mp.dlms.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Counters persist in blocks: no disk write per frame, and nothing used before a restart is used again after. */
class FileCounterStoreTest {
  @TempDir Path dir;

  @Test
  void clientFloorWithinItsBoundCostsNoWriteAndARestartRefusesEverythingAcceptedBefore() throws Exception {
    Path file = dir.resolve("counters");
    FileCounterStore s = new FileCounterStore(file);
    s.raiseClientFloor("k", 5);
    String written = Files.readString(file);
    for (long floor = 6; floor < 500; floor++) {
      s.raiseClientFloor("k", floor);
    }
    assertThat(s.clientFloor("k")).isEqualTo(499);
    assertThat(Files.readString(file)).isEqualTo(written);

    FileCounterStore restarted = new FileCounterStore(file);
    assertThat(restarted.clientFloor("k")).isGreaterThan(499);
    restarted.raiseClientFloor("k", restarted.clientFloor("k") + FileCounterStore.CLIENT_BLOCK * 3);
    assertThat(new FileCounterStore(file).clientFloor("k")).isGreaterThan(restarted.clientFloor("k"));
  }

  @Test
  void serverCounterContinuesAboveAnythingUsedBeforeARestart() throws Exception {
    Path file = dir.resolve("counters");
    FileCounterStore s = new FileCounterStore(file);
    for (long next = 2; next < 3 * FileCounterStore.SERVER_BLOCK; next += 7) {
      s.serverCounterAdvanced("k", next);
    }
    long used = s.serverCounter("k");
    assertThat(new FileCounterStore(file).serverCounter("k")).isGreaterThan(used);
    assertThat(new FileCounterStore(file).clientFloor("other")).isZero();
  }
}
