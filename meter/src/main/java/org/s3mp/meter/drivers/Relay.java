package org.s3mp.meter.drivers;

import java.io.IOException;

/** The load relay switched by the disconnect control. */
public interface Relay extends AutoCloseable {
  /** Closes (true) or opens (false) the relay. */
  void set(boolean connected) throws IOException;

  @Override
  default void close() {}
}
