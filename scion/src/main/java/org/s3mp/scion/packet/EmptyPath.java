package org.s3mp.scion.packet;

/** The empty path (type 0): source and destination are in the same AS; zero bytes on the wire. */
public record EmptyPath() implements PathHeader {
  public static final EmptyPath INSTANCE = new EmptyPath();

  @Override
  public int pathType() {
    return ScionHeader.PATH_TYPE_EMPTY;
  }

  @Override
  public int length() {
    return 0;
  }

  @Override
  public void encode(ByteWriter w) {}

  @Override
  public PathHeader reversed() {
    return this;
  }
}
