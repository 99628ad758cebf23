package org.s3mp.headend.alarms;

import java.time.Instant;

/**
 * One alarm as the API serves it.
 *
 * @param kind {@link AlarmKind#apiName()}
 * @param subject what it is about: a meter id, or the source of refused pushes ({@code push from HOST})
 * @param meterId the meter, null when the source is not a known meter
 * @param state {@code open} until an operator acknowledged it, then {@code acknowledged}
 * @param active whether the condition still holds (events: until acknowledged)
 * @param occurrences how often it was raised (re-raised conditions, repeated events) while open
 */
public record Alarm(long id, String kind, String subject, String meterId, String state, boolean active,
    Instant raisedAt, Instant lastSeenAt, long occurrences, String detail, Instant clearedAt,
    Instant acknowledgedAt, String acknowledgedBy) {

  public static final String OPEN = "open";
  public static final String ACKNOWLEDGED = "acknowledged";
}
