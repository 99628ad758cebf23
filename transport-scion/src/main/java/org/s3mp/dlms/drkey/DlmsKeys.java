package org.s3mp.dlms.drkey;

import java.time.Instant;
import org.s3mp.dlms.security.KeysFile;

/**
 * The DLMS keys of one meter-client pair for one DRKey epoch: the key material of the association (a
 * {@link KeysFile}, with both ends' system titles, as a configured meter has it) and the epoch it belongs to.
 * {@link #keyId()} is a public fingerprint (from the same KDF, another label) that both ends can print and compare;
 * {@link #toString()} never shows a key.
 */
public record DlmsKeys(KeysFile keys, Instant epochBegin, Instant epochEnd, String keyId) {
  @Override
  public String toString() {
    return "DlmsKeys[id " + keyId + ", epoch " + epochBegin + " - " + epochEnd + "]";
  }
}
