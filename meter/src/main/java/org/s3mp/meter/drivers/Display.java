package org.s3mp.meter.drivers;

import java.io.IOException;

/** The meter's display showing the consumer message. */
public interface Display extends AutoCloseable {
  void show(String text) throws IOException;

  @Override
  default void close() {}
}
