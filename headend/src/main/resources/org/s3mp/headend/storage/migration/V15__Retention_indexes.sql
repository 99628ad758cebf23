-- Retention (issue 15, database.retentionDays): the periodic delete finds old readings and path changes by time
-- across all meters; the primary keys start with meter_id and do not help there. Portable between H2 and PostgreSQL.

CREATE INDEX reading_read_at ON reading (read_at);
CREATE INDEX path_change_changed_at ON path_change (changed_at);
