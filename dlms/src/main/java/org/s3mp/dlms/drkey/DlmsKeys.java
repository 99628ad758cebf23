package org.s3mp.dlms.drkey;

import java.time.Instant;

/**
 * The DLMS keys of one meter-client pair for one DRKey epoch. {@link #keyId()} is a public fingerprint (from the
 * same KDF, another label) that both ends can print and compare; {@link #toString()} never shows a key.
 */
public record DlmsKeys(byte[] authenticationKey, byte[] encryptionKey, Instant epochBegin, Instant epochEnd,
    String keyId) {
  public DlmsKeys {
    authenticationKey = authenticationKey.clone();
    encryptionKey = encryptionKey.clone();
  }

  @Override
  public byte[] authenticationKey() {
    return authenticationKey.clone();
  }

  @Override
  public byte[] encryptionKey() {
    return encryptionKey.clone();
  }

  @Override
  public String toString() {
    return "DlmsKeys[id " + keyId + ", epoch " + epochBegin + " - " + epochEnd + "]";
  }
}
