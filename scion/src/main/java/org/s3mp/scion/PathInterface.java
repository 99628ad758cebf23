package org.s3mp.scion;

/** One interface on a path: the AS and its interface id. */
public record PathInterface(IsdAs isdAs, long id) {
  @Override
  public String toString() {
    return isdAs + "#" + id;
  }
}
