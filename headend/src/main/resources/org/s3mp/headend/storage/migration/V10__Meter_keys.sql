-- Key rotation (issue 18): a meter's static keys once the head-end rotated them, and keys transferred to the
-- meter but not confirmed yet. Values are AES-256-GCM under the master key, which is not in the database
-- (base64 of nonce || ciphertext || tag); a meter without a row uses its keys file. Portable between H2 and
-- PostgreSQL.

CREATE TABLE meter_keys (
  meter_id      VARCHAR(64) PRIMARY KEY,
  current_keys  VARCHAR(1024),
  current_id    VARCHAR(16),
  current_since TIMESTAMP WITH TIME ZONE,
  pending_keys  VARCHAR(1024),
  pending_id    VARCHAR(16),
  pending_since TIMESTAMP WITH TIME ZONE
);
