package org.s3mp.dlms.client;

import java.util.Objects;
import java.util.Optional;
import org.s3mp.dlms.MeterObjects;
import org.s3mp.dlms.drkey.DrkeyKeySource;
import org.s3mp.dlms.security.KeysFile;

/**
 * Who the client is towards the meter: the public client (SAP 16, no authentication, read-only: serial number,
 * clock, invocation counter) or the management client (SAP 1, HLS-GMAC with security suite 0, all requests
 * authenticated and encrypted with the keys of a {@link KeysFile}).
 */
public final class ClientSecurity {
  private final int clientSap;
  private final KeysFile keys;
  private final DrkeyKeySource drkey;

  private ClientSecurity(int clientSap, KeysFile keys, DrkeyKeySource drkey) {
    this.clientSap = clientSap;
    this.keys = keys;
    this.drkey = drkey;
  }

  /** The public client: no keys, read-only access to a few objects. */
  public static ClientSecurity publicClient() {
    return new ClientSecurity(MeterObjects.PUBLIC_CLIENT, null, null);
  }

  /** The management client with static keys. */
  public static ClientSecurity management(KeysFile keys) {
    return new ClientSecurity(MeterObjects.MANAGEMENT_CLIENT, Objects.requireNonNull(keys, "keys"), null);
  }

  /**
   * The management client with keys from SCION's DRKey: derived at each association for the link's own SCION
   * address and the meter's, through the local daemon behind {@code source}; renewed every epoch.
   */
  public static ClientSecurity drkey(DrkeyKeySource source) {
    return new ClientSecurity(MeterObjects.MANAGEMENT_CLIENT, null, Objects.requireNonNull(source, "source"));
  }

  /** The DRKey source for DRKey-keyed management; empty otherwise. */
  public Optional<DrkeyKeySource> drkey() {
    return Optional.ofNullable(drkey);
  }

  public int clientSap() {
    return clientSap;
  }

  /** The static keys; empty for the public client and for DRKey. */
  public Optional<KeysFile> keys() {
    return Optional.ofNullable(keys);
  }

  @Override
  public String toString() {
    if (drkey != null) {
      return "management client (SAP 1, HLS-GMAC suite 0), keys from DRKey protocol " + drkey.protocol();
    }
    return keys == null ? "public client (SAP 16, no security)"
        : "management client (SAP 1, HLS-GMAC suite 0, key id " + keys.keyId() + ")";
  }
}
