package org.s3mp.scion;

import java.util.Arrays;

/**
 * The EPIC-HP authenticators of a path as the daemon hands them out: the full 16-byte hop-field MACs of the
 * penultimate and the last hop (scionproto's combinator puts the 6-byte hop MAC and the 10 bytes the AS added to
 * its beacon's EPIC extension together). Only who holds them can compute valid PHVF/LHVF for the path.
 */
public record EpicAuths(byte[] authPhvf, byte[] authLhvf) {
  public static final int LENGTH = 16;

  public EpicAuths {
    if (authPhvf.length != LENGTH || authLhvf.length != LENGTH) {
      throw new IllegalArgumentException("EPIC authenticators are " + LENGTH + " bytes each, got "
          + authPhvf.length + " and " + authLhvf.length);
    }
    authPhvf = authPhvf.clone();
    authLhvf = authLhvf.clone();
  }

  @Override
  public byte[] authPhvf() {
    return authPhvf.clone();
  }

  @Override
  public byte[] authLhvf() {
    return authLhvf.clone();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof EpicAuths a && Arrays.equals(a.authPhvf, authPhvf) && Arrays.equals(a.authLhvf, authLhvf);
  }

  @Override
  public int hashCode() {
    return 31 * Arrays.hashCode(authPhvf) + Arrays.hashCode(authLhvf);
  }

  /** Never prints the keys. */
  @Override
  public String toString() {
    return "EpicAuths[redacted]";
  }
}
