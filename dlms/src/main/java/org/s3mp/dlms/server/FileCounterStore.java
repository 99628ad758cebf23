package org.s3mp.dlms.server;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;

/**
 * {@link CounterStore} in a properties file, replaced atomically. Both counters are persisted in blocks, so a
 * frame costs no disk write (an fsync per frame cost more than the rest of a reading):
 *
 * <ul>
 *   <li>server counter: a reservation of {@link #SERVER_BLOCK} ahead is synced to disk; after a crash the meter
 *       continues above anything it may have used.
 *   <li>client floor: the file holds a bound at least {@link #CLIENT_BLOCK} above the floor in memory, rewritten
 *       before the floor passes it; after a crash the floor is that bound, so every frame accepted before is a
 *       replay. A client learns the new floor from the invocation counter object (0.0.43.1.0.255), as DLMS
 *       clients do before they associate.
 * </ul>
 */
public final class FileCounterStore implements CounterStore {
  static final long SERVER_BLOCK = 10_000;
  static final long CLIENT_BLOCK = 10_000;

  private final Path file;
  private final Map<String, Long> serverNext = new HashMap<>();
  private final Map<String, Long> serverReserved = new HashMap<>();
  private final Map<String, Long> clientFloor = new HashMap<>();
  private final Map<String, Long> clientBound = new HashMap<>();

  public FileCounterStore(Path file) throws IOException {
    this.file = file;
    if (Files.exists(file)) {
      Properties p = new Properties();
      try (var in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
        p.load(in);
      }
      for (String name : p.stringPropertyNames()) {
        long v;
        try {
          v = Long.parseLong(p.getProperty(name).trim());
        } catch (NumberFormatException e) {
          throw new IOException(file + ": bad counter " + name);
        }
        if (name.startsWith("server.")) {
          String k = name.substring(7);
          serverReserved.put(k, v);
          // everything below the reservation may have been used before the restart
          serverNext.put(k, v);
        } else if (name.startsWith("client.")) {
          // frames up to the bound may have been accepted before the restart
          clientFloor.put(name.substring(7), v);
          clientBound.put(name.substring(7), v);
        }
      }
    }
  }

  @Override
  public synchronized long serverCounter(String keyId) {
    return serverNext.getOrDefault(keyId, 1L);
  }

  @Override
  public synchronized void serverCounterAdvanced(String keyId, long next) {
    long current = serverCounter(keyId);
    if (next <= current) {
      return;
    }
    serverNext.put(keyId, next);
    if (next + SERVER_BLOCK / 10 > serverReserved.getOrDefault(keyId, 0L)) {
      serverReserved.put(keyId, next + SERVER_BLOCK);
      save();
    }
  }

  @Override
  public synchronized long clientFloor(String keyId) {
    return clientFloor.getOrDefault(keyId, 0L);
  }

  @Override
  public synchronized void raiseClientFloor(String keyId, long floor) {
    if (floor > clientFloor(keyId)) {
      clientFloor.put(keyId, floor);
      if (floor > clientBound.getOrDefault(keyId, 0L)) {
        clientBound.put(keyId, floor + CLIENT_BLOCK);
        save();
      }
    }
  }

  private void save() {
    StringBuilder sb = new StringBuilder("# DLMS invocation counters per key id (do not lower them)\n");
    Map<String, Long> sorted = new TreeMap<>();
    serverReserved.forEach((k, v) -> sorted.put("server." + k, v));
    clientBound.forEach((k, v) -> sorted.put("client." + k, v));
    sorted.forEach((k, v) -> sb.append(k).append('=').append(v).append('\n'));
    try {
      Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
      try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
          StandardOpenOption.TRUNCATE_EXISTING)) {
        ch.write(java.nio.ByteBuffer.wrap(sb.toString().getBytes(StandardCharsets.UTF_8)));
        ch.force(true);
      }
      Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      // refusing service is safer than continuing with counters that might repeat after a restart
      throw new UncheckedIOException("cannot persist invocation counters to " + file, e);
    }
  }
}
