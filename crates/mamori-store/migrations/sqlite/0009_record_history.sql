-- Every state of the records of registers that keep history (the SoA on a
-- past date, risks): one row per version, written with the change. Keep in
-- step with ../postgres/0009_record_history.sql.
CREATE TABLE record_history (
    register TEXT NOT NULL,
    record_id BLOB NOT NULL,
    company_id BLOB NOT NULL,
    version INTEGER NOT NULL,
    changed_at TEXT NOT NULL,
    archived INTEGER NOT NULL,
    state TEXT NOT NULL,
    PRIMARY KEY (record_id, version)
);
CREATE INDEX record_history_company ON record_history(register, company_id, changed_at);
