-- Personal-data breach facts on incidents, what mamori decides from them
-- (report required, due instants) and when each report went out. Keep in
-- step with ../sqlite/0016_breach.sql.
ALTER TABLE incidents ADD COLUMN personal_data BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE incidents ADD COLUMN aware_at TIMESTAMPTZ;
ALTER TABLE incidents ADD COLUMN people_affected BIGINT;
ALTER TABLE incidents ADD COLUMN data_items TEXT;
ALTER TABLE incidents ADD COLUMN sensitive BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE incidents ADD COLUMN financial_risk BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE incidents ADD COLUMN wrongful_purpose BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE incidents ADD COLUMN encrypted BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE incidents ADD COLUMN eu_residents BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE incidents ADD COLUMN aviation_safety BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE incidents ADD COLUMN ppc_report BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE incidents ADD COLUMN preliminary_due TIMESTAMPTZ;
ALTER TABLE incidents ADD COLUMN final_due TIMESTAMPTZ;
ALTER TABLE incidents ADD COLUMN gdpr_due TIMESTAMPTZ;
ALTER TABLE incidents ADD COLUMN mlit_due TIMESTAMPTZ;
ALTER TABLE incidents ADD COLUMN preliminary_reported_at TIMESTAMPTZ;
ALTER TABLE incidents ADD COLUMN final_reported_at TIMESTAMPTZ;
ALTER TABLE incidents ADD COLUMN people_notified_at TIMESTAMPTZ;
ALTER TABLE incidents ADD COLUMN gdpr_notified_at TIMESTAMPTZ;
ALTER TABLE incidents ADD COLUMN mlit_reported_at TIMESTAMPTZ;
CREATE INDEX incidents_final_due ON incidents(final_due, id) WHERE archived_at IS NULL AND final_due IS NOT NULL;
