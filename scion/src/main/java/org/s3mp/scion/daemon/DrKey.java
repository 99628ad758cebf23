package org.s3mp.scion.daemon;

import java.time.Instant;

/** A DRKey (16 bytes) and the epoch it is valid in. {@link #toString()} never shows the key. */
public record DrKey(Instant epochBegin, Instant epochEnd, byte[] key) {
  public DrKey {
    key = key.clone();
  }

  @Override
  public byte[] key() {
    return key.clone();
  }

  @Override
  public String toString() {
    return "DrKey[epoch " + epochBegin + " - " + epochEnd + "]";
  }
}
