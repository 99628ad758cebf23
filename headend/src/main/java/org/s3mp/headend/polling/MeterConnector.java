package org.s3mp.headend.polling;

import java.io.IOException;
import java.time.Duration;
import org.s3mp.headend.fleet.MeterSpec;

/** Opens associations with meters from their URL, security and path policy; the transport stays behind it. */
public interface MeterConnector {
  /**
   * @param responseTimeout for connecting and for each response: the session's retry policy's
   *     ({@link org.s3mp.dlms.client.RetryPolicy#responseTimeout()}), its only owner
   */
  MeterConnection open(MeterSpec spec, Duration responseTimeout) throws IOException;
}
