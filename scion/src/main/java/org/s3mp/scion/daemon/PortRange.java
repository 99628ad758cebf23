package org.s3mp.scion.daemon;

/** The AS's dispatched port range: SCION/UDP ports in it are delivered by the routers straight to the host. */
public record PortRange(int start, int end) {
  public PortRange {
    if (start < 0 || end > 0xFFFF || start > end) {
      throw new IllegalArgumentException("bad port range " + start + "-" + end);
    }
  }

  public boolean contains(int port) {
    return port >= start && port <= end;
  }

  @Override
  public String toString() {
    return start + "-" + end;
  }
}
