package org.s3mp.meter.store;

import java.io.IOException;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.s3mp.dlms.MeterObjects;
import org.s3mp.dlms.server.MeterBackend.ProfileRow;

/**
 * The load profile 1.0.99.1.0.255 on disk: one record per capture (time in seconds with the row's status in its
 * top byte, then the values of {@link MeterObjects#LOAD_PROFILE_COLUMNS} in thousandths of their unit), at least
 * 60 days deep.
 */
public final class LoadProfileStore implements AutoCloseable {
  /** Depth of the profile. */
  public static final long RETENTION_SECONDS = 60L * 86_400;
  /** Upper bound of entries however short the capture period (tests use seconds). */
  static final int MAX_ENTRIES = 100_000;

  private final RecordFile file;

  public LoadProfileStore(Path file, int capturePeriodSeconds) throws IOException {
    long wanted = (RETENTION_SECONDS + capturePeriodSeconds - 1) / capturePeriodSeconds;
    this.file = new RecordFile(file, 1 + MeterObjects.LOAD_PROFILE_COLUMNS.size(),
        (int) Math.min(MAX_ENTRIES, Math.max(wanted, 5760)));
  }

  /** Bits of the time field holding the row's status: files written before the status existed have 0 there. */
  private static final int STATUS_SHIFT = 56;
  private static final long TIME_MASK = (1L << STATUS_SHIFT) - 1;

  /** Appends a row of a regular interval (status 0). */
  public void append(Instant time, List<BigDecimal> values) throws IOException {
    append(time, values, 0);
  }

  /** Appends a row with status bits ({@link MeterObjects#STATUS_CLOCK_ADJUSTED}). */
  public void append(Instant time, List<BigDecimal> values, int status) throws IOException {
    file.append(record(time, values, status));
  }

  /** Appends rows of the same values and status at several times with one sync, oldest first. */
  public void appendAll(List<Instant> times, List<BigDecimal> values, int status) throws IOException {
    List<long[]> batch = new ArrayList<>();
    for (Instant t : times) {
      batch.add(record(t, values, status));
    }
    file.appendAll(batch);
  }

  private static long[] record(Instant time, List<BigDecimal> values, int status) {
    if (time.getEpochSecond() < 0 || time.getEpochSecond() > TIME_MASK || (status & ~0xFF) != 0) {
      throw new IllegalArgumentException("load profile row out of range: " + time + " status " + status);
    }
    long[] r = new long[1 + values.size()];
    r[0] = time.getEpochSecond() | ((long) status << STATUS_SHIFT);
    for (int i = 0; i < values.size(); i++) {
      r[i + 1] = values.get(i).movePointRight(3).setScale(0, RoundingMode.HALF_UP).longValueExact();
    }
    return r;
  }

  public int size() {
    return file.size();
  }

  public int capacity() {
    return file.capacity();
  }

  /** Time of the newest entry, or null. */
  public Instant lastTime() {
    long[] r = file.last();
    return r == null ? null : Instant.ofEpochSecond(r[0] & TIME_MASK);
  }

  public List<ProfileRow> range(Instant from, Instant to) {
    List<ProfileRow> out = new ArrayList<>();
    for (long[] r : file.snapshot()) {
      long t = r[0] & TIME_MASK;
      if (t >= from.getEpochSecond() && t <= to.getEpochSecond()) {
        out.add(row(r));
      }
    }
    return out;
  }

  /** By 1-based position; count 0 = to the end. */
  public List<ProfileRow> entries(int first, int count) {
    List<long[]> all = file.snapshot();
    int start = Math.max(0, first - 1);
    int end = count == 0 ? all.size() : (int) Math.min(all.size(), (long) start + count);
    List<ProfileRow> out = new ArrayList<>();
    for (int i = start; i < end; i++) {
      out.add(row(all.get(i)));
    }
    return out;
  }

  private static ProfileRow row(long[] r) {
    List<BigDecimal> values = new ArrayList<>();
    for (int i = 1; i < r.length; i++) {
      values.add(BigDecimal.valueOf(r[i], 3));
    }
    return new ProfileRow(Instant.ofEpochSecond(r[0] & TIME_MASK), values, (int) (r[0] >>> STATUS_SHIFT));
  }

  @Override
  public void close() throws IOException {
    file.close();
  }
}
