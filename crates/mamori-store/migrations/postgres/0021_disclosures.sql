-- Disclosures: public notices, drafted, approved, published. Keep in
-- step with ../sqlite/0021_disclosures.sql.
CREATE TABLE disclosures (
    id UUID PRIMARY KEY,
    ref_no TEXT NOT NULL UNIQUE,
    company_id UUID NOT NULL REFERENCES companies(id),
    version BIGINT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    archived_at TIMESTAMPTZ,
    title TEXT NOT NULL,
    status TEXT NOT NULL,
    approved_by UUID REFERENCES people(id),
    body TEXT NOT NULL
);
CREATE INDEX disclosures_status ON disclosures(status, updated_at) WHERE archived_at IS NULL;
