-- Alerts become a register of the kernel: a human reference (ALR-000001) and
-- the common columns every register has. Keep in step with
-- ../postgres/0003_alerts_register.sql. Existing alerts are numbered in the
-- order they were first seen.
ALTER TABLE alerts ADD COLUMN ref_no TEXT NOT NULL DEFAULT '';
ALTER TABLE alerts ADD COLUMN created_at TEXT NOT NULL DEFAULT '';
ALTER TABLE alerts ADD COLUMN updated_at TEXT NOT NULL DEFAULT '';
ALTER TABLE alerts ADD COLUMN archived_at TEXT;
UPDATE alerts
SET ref_no = 'ALR-' || printf('%06d', numbered.n),
    created_at = alerts.first_seen,
    updated_at = alerts.last_seen
FROM (SELECT id, ROW_NUMBER() OVER (ORDER BY first_seen, id) AS n FROM alerts) AS numbered
WHERE alerts.id = numbered.id;
CREATE UNIQUE INDEX alerts_ref_no ON alerts(ref_no);
CREATE INDEX alerts_last_seen ON alerts(last_seen, id);
INSERT INTO counters (name, value) SELECT 'alerts', COUNT(*) FROM alerts;
