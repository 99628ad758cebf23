package org.s3mp.headend.fleet;

import java.time.Instant;
import java.util.List;

/** One load-profile interval: its capture time and the captured values. */
public record ProfileEntry(Instant capturedAt, List<RegisterValue> values) {}
