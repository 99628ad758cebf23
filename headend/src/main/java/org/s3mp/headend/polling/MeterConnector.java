package org.s3mp.headend.polling;

import java.io.IOException;
import org.s3mp.headend.fleet.MeterSpec;

/** Opens associations with meters from their URL, security and path policy; the transport stays behind it. */
public interface MeterConnector {
  MeterConnection open(MeterSpec spec) throws IOException;
}
