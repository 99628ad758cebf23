package org.s3mp.headend.polling;

import java.util.List;
import org.s3mp.headend.fleet.NetworkPath;
import org.s3mp.headend.fleet.RegisterValue;

/**
 * What one read returned: the registers, the relay state ({@code connected}, {@code disconnected},
 * {@code ready_for_reconnection}) and the network path the client used, if it reports one (else null).
 *
 * @param pathChange why the path changed since the previous read on this association, as the transport knows
 *     it ({@code timeout}, {@code SCMP interface down (IA#IF)}, {@code policy}); null: no change or not known
 */
public record MeterSnapshot(List<RegisterValue> registers, String relay, NetworkPath path, String pathChange) {

  public MeterSnapshot(List<RegisterValue> registers, String relay, NetworkPath path) {
    this(registers, relay, path, null);
  }
}
