package org.s3mp.dlms.transport.scion;

import org.s3mp.dlms.transport.Peer;
import org.s3mp.scion.ScionAddress;

/**
 * A client of the meter over SCION, identified by its SCION address (ISD-AS, host, port). Public because
 * DRKey-keyed security binds the DLMS keys to exactly this address.
 */
public record ScionPeer(ScionAddress address) implements Peer {
  @Override
  public String id() {
    return "scion:" + address;
  }

  @Override
  public String toString() {
    return id();
  }
}
