package org.s3mp.meter;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * An exclusive lock on an agent's data directory (a lock on the file {@code agent.lock} in it), held while the agent
 * runs. The operating system drops it when the process ends, however it ends, so no stale lock survives a crash.
 */
final class DataDirectoryLock implements AutoCloseable {
  static final String FILE = "agent.lock";

  private final FileChannel channel;
  private final FileLock lock;

  private DataDirectoryLock(FileChannel channel, FileLock lock) {
    this.channel = channel;
    this.lock = lock;
  }

  /** Locks the directory, or fails at once when another agent (process or instance) holds it. */
  static DataDirectoryLock acquire(Path dataDir) throws IOException {
    Path file = dataDir.resolve(FILE);
    FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
    FileLock l;
    try {
      l = ch.tryLock();
    } catch (OverlappingFileLockException e) {
      // held by this JVM
      l = null;
    } catch (IOException e) {
      ch.close();
      throw new IOException("cannot lock data directory " + dataDir + ": " + e.getMessage(), e);
    }
    if (l == null) {
      ch.close();
      throw new IOException("data directory " + dataDir + " is in use by another meter agent");
    }
    return new DataDirectoryLock(ch, l);
  }

  @Override
  public void close() {
    try {
      lock.release();
      channel.close();
    } catch (IOException ignored) {
      // the lock goes with the channel anyway
    }
  }
}
