package org.s3mp.scion.packet;

/** The path header of a SCION packet: {@link EmptyPath} (inside one AS),
 * {@link StandardPath} or {@link EpicPath}. */
public sealed interface PathHeader permits EmptyPath, StandardPath, EpicPath {
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
