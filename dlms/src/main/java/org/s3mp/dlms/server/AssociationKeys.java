package org.s3mp.dlms.server;

import java.io.IOException;
import java.util.List;
import org.s3mp.dlms.security.KeysFile;
import org.s3mp.dlms.transport.Peer;

/**
 * Which keys a management association must use: the same static keys for everybody, or (DRKey) keys bound to
 * the peer's address and the current epoch.
 */
public interface AssociationKeys {

  /**
   * The keys an association from {@code peer} starting now may use, most likely first (DRKey: the current epoch,
   * then the previous one during the grace window). Empty: this peer may not associate as management client.
   */
  List<KeysFile> candidates(Peer peer) throws IOException;

  /** Whether an association made with {@code keys} may continue (DRKey: until its epoch ended plus the grace). */
  boolean stillValid(KeysFile keys);

  /** Keys for the sessions of peers that have not associated yet (their public-client requests need none). */
  KeysFile placeholder();

  /** The keys when they are the same for every peer (static keys): the meter pushes with them. */
  default java.util.Optional<KeysFile> fixedKeys() {
    return java.util.Optional.empty();
  }

  /**
   * A management client associated with {@code current} transferred new keys (key_transfer of the Security setup,
   * already unwrapped and so verified with the key-encryption key). Returns once they are stored durably; from
   * then on they are accepted alongside the current ones until {@link #established} is called with them.
   *
   * @throws UnsupportedOperationException when these keys cannot be rotated (DRKey, no key-encryption key)
   */
  default void transferred(KeysFile current, KeysFile next) throws IOException {
    throw new UnsupportedOperationException("the keys of this meter are not rotated by key transfer");
  }

  /**
   * A management association with {@code keys} was established (HLS passed). When they are transferred keys, they
   * become the current ones and the old ones are retired: from now on only they are accepted.
   */
  default void established(KeysFile keys) throws IOException {}

  /** The same keys for every peer, forever: the static-key mode of a keys file. */
  static AssociationKeys fixed(KeysFile keys) {
    return new AssociationKeys() {
      @Override
      public List<KeysFile> candidates(Peer peer) {
        return List.of(keys);
      }

      @Override
      public boolean stillValid(KeysFile k) {
        return true;
      }

      @Override
      public KeysFile placeholder() {
        return keys;
      }

      @Override
      public java.util.Optional<KeysFile> fixedKeys() {
        return java.util.Optional.of(keys);
      }
    };
  }
}
