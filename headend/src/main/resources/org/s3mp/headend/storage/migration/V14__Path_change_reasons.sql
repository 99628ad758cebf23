-- Why a meter's readings changed path (issue 19): what the transport reported for the failover (timeout, SCMP
-- interface down, policy) or what the head-end knows (a new association after a failure). One row per change,
-- keyed like the first reading over the new path (meter, read_at). Portable between H2 and PostgreSQL.

CREATE TABLE path_change (
  meter_id   VARCHAR(64) NOT NULL,
  changed_at TIMESTAMP WITH TIME ZONE NOT NULL,
  reason     VARCHAR(256) NOT NULL,
  PRIMARY KEY (meter_id, changed_at)
);
