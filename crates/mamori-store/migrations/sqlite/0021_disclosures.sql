-- Disclosures: public notices, drafted, approved, published. Keep in
-- step with ../postgres/0021_disclosures.sql.
CREATE TABLE disclosures (
    id BLOB PRIMARY KEY,
    ref_no TEXT NOT NULL UNIQUE,
    company_id BLOB NOT NULL REFERENCES companies(id),
    version INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    archived_at TEXT,
    title TEXT NOT NULL,
    status TEXT NOT NULL,
    approved_by BLOB REFERENCES people(id),
    body TEXT NOT NULL
);
CREATE INDEX disclosures_status ON disclosures(status, updated_at) WHERE archived_at IS NULL;
