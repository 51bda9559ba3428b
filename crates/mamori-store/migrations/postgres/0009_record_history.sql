-- Every state of the records of registers that keep history (the SoA on a
-- past date, risks): one row per version, written with the change. Keep in
-- step with ../sqlite/0009_record_history.sql.
CREATE TABLE record_history (
    register TEXT NOT NULL,
    record_id UUID NOT NULL,
    company_id UUID NOT NULL,
    version BIGINT NOT NULL,
    changed_at TIMESTAMPTZ NOT NULL,
    archived BOOLEAN NOT NULL,
    state TEXT NOT NULL,
    PRIMARY KEY (record_id, version)
);
CREATE INDEX record_history_company ON record_history(register, company_id, changed_at);
