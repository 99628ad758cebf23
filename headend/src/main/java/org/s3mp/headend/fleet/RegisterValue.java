package org.s3mp.headend.fleet;

import java.math.BigDecimal;

/** One COSEM value as read: OBIS code, the value already scaled, and its unit symbol (V, A, W, Wh, Hz, ...). */
public record RegisterValue(String obis, BigDecimal value, String unit) {}
