-- Personal-data breach facts on incidents, what mamori decides from them
-- (report required, due instants) and when each report went out. Keep in
-- step with ../postgres/0016_breach.sql.
ALTER TABLE incidents ADD COLUMN personal_data INTEGER NOT NULL DEFAULT 0;
ALTER TABLE incidents ADD COLUMN aware_at TEXT;
ALTER TABLE incidents ADD COLUMN people_affected INTEGER;
ALTER TABLE incidents ADD COLUMN data_items TEXT;
ALTER TABLE incidents ADD COLUMN sensitive INTEGER NOT NULL DEFAULT 0;
ALTER TABLE incidents ADD COLUMN financial_risk INTEGER NOT NULL DEFAULT 0;
ALTER TABLE incidents ADD COLUMN wrongful_purpose INTEGER NOT NULL DEFAULT 0;
ALTER TABLE incidents ADD COLUMN encrypted INTEGER NOT NULL DEFAULT 0;
ALTER TABLE incidents ADD COLUMN eu_residents INTEGER NOT NULL DEFAULT 0;
ALTER TABLE incidents ADD COLUMN aviation_safety INTEGER NOT NULL DEFAULT 0;
ALTER TABLE incidents ADD COLUMN ppc_report INTEGER NOT NULL DEFAULT 0;
ALTER TABLE incidents ADD COLUMN preliminary_due TEXT;
ALTER TABLE incidents ADD COLUMN final_due TEXT;
ALTER TABLE incidents ADD COLUMN gdpr_due TEXT;
ALTER TABLE incidents ADD COLUMN mlit_due TEXT;
ALTER TABLE incidents ADD COLUMN preliminary_reported_at TEXT;
ALTER TABLE incidents ADD COLUMN final_reported_at TEXT;
ALTER TABLE incidents ADD COLUMN people_notified_at TEXT;
ALTER TABLE incidents ADD COLUMN gdpr_notified_at TEXT;
ALTER TABLE incidents ADD COLUMN mlit_reported_at TEXT;
CREATE INDEX incidents_final_due ON incidents(final_due, id) WHERE archived_at IS NULL AND final_due IS NOT NULL;
