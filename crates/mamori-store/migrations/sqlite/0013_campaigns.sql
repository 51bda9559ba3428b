-- Assessment campaigns (group-wide) and the compliance assessments they
-- make, one per company. Keep in step with ../postgres/0013_campaigns.sql.
CREATE TABLE campaigns (
    id BLOB PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    framework_id BLOB NOT NULL REFERENCES frameworks(id),
    due_date TEXT NOT NULL,
    started_at TEXT NOT NULL,
    started_by TEXT NOT NULL
);
CREATE TABLE compliance_assessments (
    id BLOB PRIMARY KEY,
    ref_no TEXT NOT NULL UNIQUE,
    company_id BLOB NOT NULL REFERENCES companies(id),
    version INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    archived_at TEXT,
    campaign BLOB NOT NULL REFERENCES campaigns(id),
    framework BLOB NOT NULL REFERENCES frameworks(id),
    status TEXT NOT NULL,
    owner BLOB REFERENCES people(id),
    due_date TEXT NOT NULL,
    notes TEXT,
    UNIQUE (company_id, campaign)
);
CREATE INDEX compliance_assessments_due ON compliance_assessments(due_date, id) WHERE archived_at IS NULL;
CREATE INDEX compliance_assessments_campaign ON compliance_assessments(campaign, company_id);
