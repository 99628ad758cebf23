package org.s3mp.meter.store;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * An append-only file of fixed-size records of longs, keeping the newest {@code capacity} records (also held
 * in memory: a few hundred KB at most). Appends are synced; a record torn by a crash is dropped at load; the
 * file is compacted (rewritten atomically) when it holds 10 % more than the capacity. The file is opened for each
 * append and not held open: appends are rare (one per capture period, events), and 10,000 meters in one process
 * each holding their load profile and event log open took two of the process's file descriptors per meter.
 */
final class RecordFile implements AutoCloseable {
  private final Path file;
  private final int longs;
  private final int capacity;
  private final List<long[]> records = new ArrayList<>();
  private long recordsInFile;

  RecordFile(Path file, int longsPerRecord, int capacity) throws IOException {
    this.file = file;
    this.longs = longsPerRecord;
    this.capacity = capacity;
    int size = longs * Long.BYTES;
    if (Files.exists(file)) {
      byte[] all = Files.readAllBytes(file);
      ByteBuffer b = ByteBuffer.wrap(all);
      while (b.remaining() >= size) {
        long[] r = new long[longs];
        for (int i = 0; i < longs; i++) {
          r[i] = b.getLong();
        }
        records.add(r);
      }
      recordsInFile = records.size();
      if (all.length % size != 0) {
        // a torn final record from a crash: cut it off
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
          ch.truncate((long) records.size() * size);
        }
      }
      while (records.size() > capacity) {
        records.remove(0);
      }
    } else {
      Files.createFile(file); // it exists from the start, as it did when it was held open (a write fails here)
    }
  }

  synchronized void append(long[] record) throws IOException {
    appendAll(List.of(record));
  }

  /** Appends records with one sync (a forward clock set fills many at once). */
  synchronized void appendAll(List<long[]> batch) throws IOException {
    for (long[] record : batch) {
      if (record.length != longs) {
        throw new IllegalArgumentException("record of " + record.length + " longs, want " + longs);
      }
    }
    if (batch.isEmpty()) {
      return;
    }
    ByteBuffer b = ByteBuffer.allocate(batch.size() * longs * Long.BYTES);
    for (long[] record : batch) {
      for (long v : record) {
        b.putLong(v);
      }
    }
    b.flip();
    try (FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
        StandardOpenOption.APPEND)) {
      while (b.hasRemaining()) {
        channel.write(b);
      }
      channel.force(false);
    }
    for (long[] record : batch) {
      records.add(record.clone());
    }
    recordsInFile += batch.size();
    if (records.size() > capacity) {
      records.subList(0, records.size() - capacity).clear();
    }
    if (recordsInFile > capacity + capacity / 10 + 1) {
      compact();
    }
  }

  private void compact() throws IOException {
    Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
    try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
        StandardOpenOption.TRUNCATE_EXISTING)) {
      ByteBuffer b = ByteBuffer.allocate(records.size() * longs * Long.BYTES);
      for (long[] r : records) {
        for (long v : r) {
          b.putLong(v);
        }
      }
      b.flip();
      while (b.hasRemaining()) {
        ch.write(b);
      }
      ch.force(true);
    }
    Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    recordsInFile = records.size();
  }

  synchronized int size() {
    return records.size();
  }

  int capacity() {
    return capacity;
  }

  synchronized List<long[]> snapshot() {
    return List.copyOf(records);
  }

  synchronized long[] last() {
    return records.isEmpty() ? null : records.get(records.size() - 1);
  }

  /** Nothing is held open between appends. */
  @Override
  public synchronized void close() throws IOException {}
}
