-- Counts kept with every write (see src/rollups.rs): per register, rollup
-- and company, how many active records have each key. Filled by mamori
-- after the migrations. Keep in step with ../postgres/0012_rollups.sql.
CREATE TABLE rollups (
    register TEXT NOT NULL,
    rollup INTEGER NOT NULL,
    company_id BLOB NOT NULL REFERENCES companies(id),
    k1 TEXT NOT NULL,
    k2 TEXT NOT NULL,
    k3 TEXT NOT NULL,
    n INTEGER NOT NULL,
    PRIMARY KEY (register, rollup, company_id, k1, k2, k3)
);
-- Overdue reviews and expired acceptances are counted from these.
CREATE INDEX risks_review ON risks(review_date) WHERE archived_at IS NULL;
CREATE INDEX risks_acceptance ON risks(status, acceptance_expiry) WHERE archived_at IS NULL;
