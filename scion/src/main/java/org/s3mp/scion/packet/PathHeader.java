package org.s3mp.scion.packet;

/** The path header of a SCION packet: {@link EmptyPath} (inside one AS) or {@link StandardPath}. */
public sealed interface PathHeader permits EmptyPath, StandardPath {
  int pathType();

  int length();

  void encode(ByteWriter w);

  /** The path for a reply to a packet that arrived with this path. */
  PathHeader reversed();

  /** The path bytes as on the wire. */
  default byte[] toBytes() {
    ByteWriter w = new ByteWriter(length());
    encode(w);
    return w.toByteArray();
  }
}
