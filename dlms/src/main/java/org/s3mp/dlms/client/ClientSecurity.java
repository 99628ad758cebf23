package org.s3mp.dlms.client;

import java.util.Objects;
import java.util.Optional;
import org.s3mp.dlms.MeterObjects;
import org.s3mp.dlms.security.KeysFile;

/**
 * Who the client is towards the meter: the public client (SAP 16, no authentication, read-only: serial number,
 * clock, invocation counter) or the management client (SAP 1, HLS-GMAC with security suite 0, all requests
 * authenticated and encrypted with the keys of a {@link KeysFile}).
 */
public final class ClientSecurity {
  private final int clientSap;
  private final KeysFile keys;
  private final boolean fromNetwork;

  private ClientSecurity(int clientSap, KeysFile keys, boolean fromNetwork) {
    this.clientSap = clientSap;
    this.keys = keys;
    this.fromNetwork = fromNetwork;
  }

  /** The public client: no keys, read-only access to a few objects. */
  public static ClientSecurity publicClient() {
    return new ClientSecurity(MeterObjects.PUBLIC_CLIENT, null, false);
  }

  /** The management client with static keys. */
  public static ClientSecurity management(KeysFile keys) {
    return new ClientSecurity(MeterObjects.MANAGEMENT_CLIENT, Objects.requireNonNull(keys, "keys"), false);
  }

  /**
   * The management client with keys that the link's transport supplies for both ends (on SCION: derived from
   * DRKey for the link's own address and the meter's at each association, renewed when they expire).
   */
  public static ClientSecurity fromNetwork() {
    return new ClientSecurity(MeterObjects.MANAGEMENT_CLIENT, null, true);
  }

  /** Whether the keys come from the network (see {@link #fromNetwork()}). */
  public boolean keysFromNetwork() {
    return fromNetwork;
  }

  public int clientSap() {
    return clientSap;
  }

  /** The static keys; empty for the public client and for keys from the network. */
  public Optional<KeysFile> keys() {
    return Optional.ofNullable(keys);
  }

  @Override
  public String toString() {
    if (fromNetwork) {
      return "management client (SAP 1, HLS-GMAC suite 0), keys from the network (DRKey)";
    }
    return keys == null ? "public client (SAP 16, no security)"
        : "management client (SAP 1, HLS-GMAC suite 0, key id " + keys.keyId() + ")";
  }
}
