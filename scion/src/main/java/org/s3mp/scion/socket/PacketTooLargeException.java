package org.s3mp.scion.socket;

import java.io.IOException;

/** A datagram would not fit the path MTU; SCION routers drop such packets, so we refuse to send them. */
public final class PacketTooLargeException extends IOException {
  private static final long serialVersionUID = 1L;
  private final int size;
  private final int mtu;

  public PacketTooLargeException(int size, int mtu, String path) {
    super("SCION packet of " + size + " bytes exceeds the MTU " + mtu + " of path " + path);
    this.size = size;
    this.mtu = mtu;
  }

  public int size() {
    return size;
  }

  public int mtu() {
    return mtu;
  }
}
