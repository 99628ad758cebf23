package org.s3mp.meter.store;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.s3mp.dlms.MeterEvent;
import org.s3mp.dlms.server.MeterBackend.EventRow;

/** The standard event log 0.0.99.98.0.255 on disk: (time in ms, event code), the newest 1,000 events. */
public final class EventLog implements AutoCloseable {
  public static final int CAPACITY = 1000;
  private final RecordFile file;

  public EventLog(Path file) throws IOException {
    this.file = new RecordFile(file, 2, CAPACITY);
  }

  public void add(Instant time, MeterEvent event) throws IOException {
    file.append(new long[] {time.toEpochMilli(), event.code()});
  }

  /** The newest event, or null. */
  public EventRow last() {
    long[] r = file.last();
    return r == null ? null : row(r);
  }

  public int size() {
    return file.size();
  }

  public int capacity() {
    return file.capacity();
  }

  public List<EventRow> range(Instant from, Instant to) {
    List<EventRow> out = new ArrayList<>();
    for (long[] r : file.snapshot()) {
      Instant t = Instant.ofEpochMilli(r[0]);
      if (!t.isBefore(from) && !t.isAfter(to)) {
        out.add(row(r));
      }
    }
    return out;
  }

  public List<EventRow> entries(int first, int count) {
    List<long[]> all = file.snapshot();
    int start = Math.max(0, first - 1);
    int end = count == 0 ? all.size() : (int) Math.min(all.size(), (long) start + count);
    List<EventRow> out = new ArrayList<>();
    for (int i = start; i < end; i++) {
      out.add(row(all.get(i)));
    }
    return out;
  }

  private static EventRow row(long[] r) {
    return new EventRow(Instant.ofEpochMilli(r[0]), (int) r[1]);
  }

  @Override
  public void close() throws IOException {
    file.close();
  }
}
