package org.s3mp.headend.auth;

import java.time.Instant;

/** A stored API token (never the secret itself, only its SHA-256). {@code revokedAt} is null while valid. */
public record ApiToken(String id, String name, Role role, Instant createdAt, Instant revokedAt) {}
