-- Scale-out (issue 15): meter_command carries every operation that needs the meter's association, not only the
-- commands: read-now, clock read and set, push settings read and set, profile collection and key rotation. The
-- holder writes what the operation returned as JSON into result (the outcome stays the human-readable text or the
-- error); a read returns a whole reading, more than the outcome's 2048 characters. Portable between H2 and
-- PostgreSQL.
ALTER TABLE meter_command ADD COLUMN result VARCHAR(65536);
