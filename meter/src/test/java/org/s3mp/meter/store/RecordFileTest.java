package org.s3mp.meter.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The append-only record file: records survive reopening, a torn tail is cut, the file is compacted. */
class RecordFileTest {
  static final int RECORD_BYTES = 2 * Long.BYTES;
  @TempDir Path dir;

  List<Long> firstColumn(RecordFile f) {
    return f.snapshot().stream().map(r -> r[0]).toList();
  }

  @Test
  void recordsSurviveReopening() throws Exception {
    Path p = dir.resolve("r.bin");
    try (RecordFile f = new RecordFile(p, 2, 10)) {
      f.append(new long[] {1, 10});
      f.append(new long[] {2, 20});
    }
    try (RecordFile f = new RecordFile(p, 2, 10)) {
      assertThat(f.snapshot()).containsExactly(new long[] {1, 10}, new long[] {2, 20});
      assertThat(f.last()).containsExactly(2, 20);
      assertThatThrownBy(() -> f.append(new long[] {3})).isInstanceOf(IllegalArgumentException.class);
    }
  }

  @Test
  void aTornFinalRecordIsCutOffAndTheNextAppendIsIntact() throws Exception {
    Path p = dir.resolve("r.bin");
    try (RecordFile f = new RecordFile(p, 2, 10)) {
      f.append(new long[] {1, 10});
      f.append(new long[] {2, 20});
    }
    // a crash in the middle of the third append: 5 of its 16 bytes reached the disk
    Files.write(p, new byte[] {0, 0, 0, 0, 3}, StandardOpenOption.APPEND);
    try (RecordFile f = new RecordFile(p, 2, 10)) {
      assertThat(firstColumn(f)).containsExactly(1L, 2L);
      assertThat(Files.size(p)).as("torn bytes removed").isEqualTo(2L * RECORD_BYTES);
      f.append(new long[] {3, 30});
    }
    try (RecordFile f = new RecordFile(p, 2, 10)) {
      // without the cut, record 3 would be read shifted by 5 bytes
      assertThat(f.snapshot()).containsExactly(new long[] {1, 10}, new long[] {2, 20}, new long[] {3, 30});
    }
  }

  @Test
  void keepsTheNewestCapacityRecordsAndCompactsTheFile() throws Exception {
    Path p = dir.resolve("r.bin");
    int capacity = 20;
    try (RecordFile f = new RecordFile(p, 2, capacity)) {
      for (long i = 1; i <= 100; i++) {
        f.append(new long[] {i, -i});
        assertThat(Files.size(p) / RECORD_BYTES).as("records in the file after append " + i)
            .isLessThanOrEqualTo(capacity + capacity / 10 + 1);
      }
      assertThat(f.size()).isEqualTo(capacity);
      assertThat(firstColumn(f)).first().isEqualTo(81L);
      assertThat(f.last()).containsExactly(100, -100);
    }
    assertThat(dir.resolve("r.bin.tmp")).doesNotExist();
    try (RecordFile f = new RecordFile(p, 2, capacity)) {
      assertThat(f.size()).isEqualTo(capacity);
      assertThat(firstColumn(f)).first().isEqualTo(81L);
      assertThat(firstColumn(f)).last().isEqualTo(100L);
    }
  }

  @Test
  void reopeningWithASmallerCapacityKeepsTheNewest() throws Exception {
    Path p = dir.resolve("r.bin");
    try (RecordFile f = new RecordFile(p, 2, 10)) {
      for (long i = 1; i <= 8; i++) {
        f.append(new long[] {i, i});
      }
    }
    try (RecordFile f = new RecordFile(p, 2, 3)) {
      assertThat(firstColumn(f)).containsExactly(6L, 7L, 8L);
    }
  }
}
