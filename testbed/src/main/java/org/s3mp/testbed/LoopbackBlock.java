package org.s3mp.testbed;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * A loopback block B (testbed addresses 127.B.x.y, SIG namespaces {@code s3mpB-*}, SIG addresses 198.18.B/198.19.B)
 * held by this JVM, so that test JVMs of several checkouts on one machine, and a developer's own testbed, never
 * share addresses. The claim is an OS file lock in a machine-wide folder: it goes away with the JVM, also when the
 * JVM is killed, so a crashed run never keeps a block.
 */
public final class LoopbackBlock implements AutoCloseable {
  /** Blocks handed out to tests; 0 (the CLI's default) and the low blocks stay for people. */
  static final int FIRST = 100;
  static final int LAST = 250;
  private static final Path LOCKS = Path.of(System.getProperty("java.io.tmpdir"), "s3mp-loopback-blocks");

  private final int block;
  private final FileChannel channel;
  private final FileLock lock;

  private LoopbackBlock(int block, FileChannel channel, FileLock lock) {
    this.block = block;
    this.channel = channel;
    this.lock = lock;
  }

  /** The first block that no other JVM holds and whose testbed addresses are free. */
  public static LoopbackBlock claim() throws IOException {
    Files.createDirectories(LOCKS);
    for (int b = FIRST; b <= LAST; b++) {
      LoopbackBlock held = tryClaim(b);
      if (held != null) {
        return held;
      }
    }
    throw new IOException("no free loopback block in " + FIRST + ".." + LAST + " (locks in " + LOCKS + ")");
  }

  /** Claims one given block (e.g. from S3MP_TEST_LOOPBACK_BLOCK), failing when another JVM holds it. */
  public static LoopbackBlock claim(int block) throws IOException {
    Files.createDirectories(LOCKS);
    LoopbackBlock held = tryClaim(block);
    if (held == null) {
      throw new IOException("loopback block " + block + " is in use by another test JVM or testbed");
    }
    return held;
  }

  /** The block's lock if no JVM holds it (its addresses may still be taken by what a dead JVM left), else null. */
  static LoopbackBlock claimForCleanup(int b) throws IOException {
    Files.createDirectories(LOCKS);
    return lock(b, false);
  }

  private static LoopbackBlock tryClaim(int b) throws IOException {
    return lock(b, true);
  }

  private static LoopbackBlock lock(int b, boolean needFreeAddresses) throws IOException {
    FileChannel ch = FileChannel.open(LOCKS.resolve(b + ".lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
    FileLock lock;
    try {
      lock = ch.tryLock();
    } catch (OverlappingFileLockException heldByThisJvm) {
      lock = null;
    }
    if (lock == null || (needFreeAddresses && !addressesFree(b))) {
      if (lock != null) {
        lock.release();
      }
      ch.close();
      return null;
    }
    return new LoopbackBlock(b, ch, lock);
  }

  /** A testbed started by hand on this block (no lock) still holds the control-service port. */
  private static boolean addressesFree(int b) {
    for (TopologySpec.AsSpec as : TopologySpec.defaultTopology().withLoopbackBlock(b).ases().values()) {
      try (ServerSocket s = new ServerSocket()) {
        s.bind(new InetSocketAddress(InetAddress.getByName(as.ip()), ScionConfigWriter.CS_PORT));
      } catch (IOException busy) {
        return false;
      }
    }
    return true;
  }

  public int number() {
    return block;
  }

  /** The default topology on this block. */
  public TopologySpec topology() {
    return TopologySpec.defaultTopology().withLoopbackBlock(block);
  }

  @Override
  public void close() throws IOException {
    lock.release();
    channel.close();
  }

  @Override
  public String toString() {
    return "loopback block " + block;
  }
}
