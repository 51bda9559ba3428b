-- Alerts become a register of the kernel: a human reference (ALR-000001) and
-- the common columns every register has. Keep in step with
-- ../sqlite/0003_alerts_register.sql. Existing alerts are numbered in the
-- order they were first seen.
ALTER TABLE alerts ADD COLUMN ref_no TEXT;
ALTER TABLE alerts ADD COLUMN created_at TIMESTAMPTZ;
ALTER TABLE alerts ADD COLUMN updated_at TIMESTAMPTZ;
ALTER TABLE alerts ADD COLUMN archived_at TIMESTAMPTZ;
UPDATE alerts
SET ref_no = 'ALR-' || CASE WHEN numbered.n < 1000000 THEN lpad(numbered.n::text, 6, '0') ELSE numbered.n::text END,
    created_at = alerts.first_seen,
    updated_at = alerts.last_seen
FROM (SELECT id, ROW_NUMBER() OVER (ORDER BY first_seen, id) AS n FROM alerts) AS numbered
WHERE alerts.id = numbered.id;
ALTER TABLE alerts ALTER COLUMN ref_no SET NOT NULL;
ALTER TABLE alerts ALTER COLUMN created_at SET NOT NULL;
ALTER TABLE alerts ALTER COLUMN updated_at SET NOT NULL;
ALTER TABLE alerts ADD CONSTRAINT alerts_ref_no UNIQUE (ref_no);
CREATE INDEX alerts_last_seen ON alerts(last_seen, id);
INSERT INTO counters (name, value) SELECT 'alerts', COUNT(*) FROM alerts;
