package org.s3mp.headend.commands;

import java.time.Instant;

/**
 * One audited action: who ({@code actor}, the token's name), what ({@code action} on {@code meterId} with
 * {@code argument}), when, and the result ({@code pending}, {@code ok} or {@code failed}, with a detail).
 */
public record AuditEntry(
    long id, Instant requestedAt, Instant finishedAt, String actor, String action, String meterId,
    String argument, String result, String detail) {}
