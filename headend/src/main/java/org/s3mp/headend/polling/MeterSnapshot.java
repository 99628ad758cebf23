package org.s3mp.headend.polling;

import java.util.List;
import org.s3mp.headend.fleet.NetworkPath;
import org.s3mp.headend.fleet.RegisterValue;

/**
 * What one read returned: the registers, the relay state ({@code connected}, {@code disconnected},
 * {@code ready_for_reconnection}) and the network path the client used, if it reports one (else null).
 */
public record MeterSnapshot(List<RegisterValue> registers, String relay, NetworkPath path) {}
