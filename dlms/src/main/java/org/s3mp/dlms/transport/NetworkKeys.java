package org.s3mp.dlms.transport;

import java.time.Instant;
import java.util.Objects;
import org.s3mp.dlms.security.KeysFile;

/**
 * Keys for a management association that the network itself supplies for both ends of a link (on SCION: derived
 * from DRKey for the link's two host addresses), so that no key is ever configured.
 *
 * @param keys the association keys and both system titles
 * @param description for display: where the keys come from and their id, never a key
 * @param expires when the keys stop being valid; the client associates again with new ones after it
 */
public record NetworkKeys(KeysFile keys, String description, Instant expires) {
  public NetworkKeys {
    Objects.requireNonNull(keys, "keys");
    Objects.requireNonNull(description, "description");
    Objects.requireNonNull(expires, "expires");
  }
}
