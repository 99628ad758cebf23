package org.s3mp.headend.fleet;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.util.Set;
import org.s3mp.dlms.security.KeysFile;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one directory the head-end reads meter keys files from. A meter's {@code keysFile} names a regular file
 * in it (relative to it, or absolute but inside it after resolving links), at most {@link #MAX_SIZE} bytes: an API
 * client cannot make the head-end open {@code /etc/shadow}, {@code /proc/self/environ}, a device or a FIFO.
 * Refusals say only that the keys file is not acceptable (nothing about existence, type or content); the
 * reason goes to the log.
 */
public final class KeysDirectory {

  private static final Logger log = LoggerFactory.getLogger(KeysDirectory.class);

  /** A keys file is four short lines; anything larger is not one. */
  public static final int MAX_SIZE = 64 * 1024;

  static final String REFUSED = "keysFile: not a usable keys file in the head-end's keys directory";

  private final Path dir;

  public KeysDirectory(Path dir) {
    this.dir = dir.toAbsolutePath().normalize();
  }

  public Path path() {
    return dir;
  }

  /**
   * The spec with its keys file checked (also parsed) and replaced by its absolute path; DRKey meters pass
   * unchanged. Throws {@link IllegalArgumentException} with a generic message when the file is not acceptable.
   */
  public MeterSpec checked(MeterSpec spec) {
    if (spec.keysFile() == null) {
      return spec;
    }
    Path file = locate(spec.keysFile());
    try {
      load(file);
    } catch (IOException | IllegalArgumentException e) {
      log.warn("meter {}: keys file {} refused: {}", spec.id(), spec.keysFile(), e.getMessage());
      throw new IllegalArgumentException(REFUSED);
    }
    return new MeterSpec(spec.id(), spec.url(), file.toString(), spec.policy(), spec.drkey(), spec.pollSeconds(),
        spec.profile());
  }

  /** The real path of {@code keysFile} when it is a regular file inside the directory. */
  Path locate(String keysFile) {
    try {
      Path given = dir.resolve(keysFile).normalize();
      Path realDir = dir.toRealPath();
      Path real = given.toRealPath();
      if (!given.startsWith(dir) || !real.startsWith(realDir) || real.equals(realDir)) {
        throw new IOException("outside the keys directory " + dir);
      }
      return real;
    } catch (IOException | RuntimeException e) {
      log.warn("keys file {} refused: {}", keysFile, e.toString());
      throw new IllegalArgumentException(REFUSED);
    }
  }

  /**
   * Reads a keys file: only a regular file (no device, FIFO or directory) of at most {@link #MAX_SIZE} bytes;
   * warns when others may read it. Errors never quote the file's content.
   */
  public static KeysFile load(Path file) throws IOException {
    BasicFileAttributes attributes = Files.readAttributes(file, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
    if (!attributes.isRegularFile()) {
      throw new IOException("keys file " + file + " is not a regular file");
    }
    if (attributes.size() > MAX_SIZE) {
      throw new IOException("keys file " + file + " is larger than " + MAX_SIZE + " bytes");
    }
    byte[] bytes;
    try (InputStream in = Files.newInputStream(file, LinkOption.NOFOLLOW_LINKS)) {
      bytes = in.readNBytes(MAX_SIZE + 1); // bounded even if the file grew since the check
    }
    if (bytes.length > MAX_SIZE) {
      throw new IOException("keys file " + file + " is larger than " + MAX_SIZE + " bytes");
    }
    warnIfWorldReadable(file);
    try {
      return KeysFile.parse(new String(bytes, StandardCharsets.UTF_8));
    } catch (IllegalArgumentException e) {
      throw new IOException("keys file " + file + " is not a keys file: " + e.getMessage());
    }
  }

  /** Files already warned about: once per file, not at every association. */
  private static final Set<Path> WARNED = java.util.concurrent.ConcurrentHashMap.newKeySet();

  private static void warnIfWorldReadable(Path file) {
    try {
      Set<PosixFilePermission> permissions = Files.getPosixFilePermissions(file, LinkOption.NOFOLLOW_LINKS);
      if (permissions.contains(PosixFilePermission.OTHERS_READ) && WARNED.add(file.toAbsolutePath())) {
        log.warn("keys file {} is readable by every user of this host: chmod o-r {}", file, file);
      }
    } catch (IOException | UnsupportedOperationException e) {
      // no POSIX permissions here: nothing to warn about
    }
  }
}
