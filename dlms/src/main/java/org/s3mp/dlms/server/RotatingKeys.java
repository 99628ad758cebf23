package org.s3mp.dlms.server;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.s3mp.dlms.security.KeysFile;
import org.s3mp.dlms.transport.Peer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Static keys that a head-end can rotate (key_transfer of the Security setup): the current keys in the meter's
 * keys file and, between a transfer and its confirmation, the transferred keys in a pending file beside the
 * state. Both are written whole under a temporary name and renamed (see {@link KeysFile#save}).
 *
 * <p>A rotation interrupted at any step leaves a reachable meter: after a transfer both the old and the new keys
 * are accepted (old first, so the public client reads the invocation counter of the keys in use), across
 * restarts, until a management association with the new keys succeeds. Only then the new keys replace the old in
 * the keys file and the pending file is removed; from then on the old keys are refused, and associations still
 * open with them end at their next request. A second transfer before a confirmation replaces the pending keys.
 */
public final class RotatingKeys implements AssociationKeys {
  private static final Logger log = LoggerFactory.getLogger(RotatingKeys.class);

  private final Path keysFile;
  private final Path pendingFile;
  private volatile KeysFile current;
  private volatile KeysFile pending;

  private RotatingKeys(Path keysFile, Path pendingFile, KeysFile current, KeysFile pending) {
    this.keysFile = keysFile;
    this.pendingFile = pendingFile;
    this.current = current;
    this.pending = pending;
  }

  /**
   * The keys of {@code keysFile} and the transferred keys in {@code pendingFile}, if any. A pending file equal to
   * the keys file (the meter stopped between the two steps of a confirmation) is removed.
   */
  public static RotatingKeys open(Path keysFile, Path pendingFile) throws IOException {
    KeysFile current = KeysFile.load(keysFile);
    KeysFile pending = null;
    if (Files.exists(pendingFile)) {
      pending = KeysFile.load(pendingFile);
      if (pending.equals(current)) {
        Files.delete(pendingFile);
        pending = null;
      } else {
        log.info("keys {} transferred, not confirmed yet: accepting them and the current keys {}", pending.keyId(),
            current.keyId());
      }
    }
    return new RotatingKeys(keysFile, pendingFile, current, pending);
  }

  /** The keys in use (the pushes' keys). */
  public KeysFile current() {
    return current;
  }

  /** Transferred keys not confirmed yet. */
  public Optional<KeysFile> pending() {
    return Optional.ofNullable(pending);
  }

  @Override
  public List<KeysFile> candidates(Peer peer) {
    KeysFile c = current;
    KeysFile p = pending;
    return p == null ? List.of(c) : List.of(c, p);
  }

  @Override
  public boolean stillValid(KeysFile keys) {
    return keys.equals(current) || keys.equals(pending);
  }

  @Override
  public KeysFile placeholder() {
    return current;
  }

  @Override
  public Optional<KeysFile> fixedKeys() {
    return Optional.of(current);
  }

  @Override
  public synchronized void transferred(KeysFile from, KeysFile next) throws IOException {
    if (!from.equals(current)) {
      // only the holder of the current keys rotates them (transferred keys are confirmed, not transferred over)
      throw new IllegalStateException("keys may be transferred only in an association with the current keys");
    }
    if (!next.rotatable()) {
      throw new IllegalArgumentException("transferred keys without a key-encryption key");
    }
    next.save(pendingFile);
    pending = next;
    log.info("keys {} transferred: accepted alongside {} until an association with them confirms them",
        next.keyId(), current.keyId());
  }

  @Override
  public synchronized void established(KeysFile keys) throws IOException {
    KeysFile p = pending;
    if (p == null || !p.equals(keys)) {
      return;
    }
    KeysFile old = current;
    keys.save(keysFile); // the commit point: a crash before leaves both accepted, after it only the new ones
    current = keys;
    pending = null;
    Files.deleteIfExists(pendingFile);
    log.info("keys {} confirmed by an association with them: keys {} retired", keys.keyId(), old.keyId());
  }
}
