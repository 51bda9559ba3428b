-- Assessment campaigns (group-wide) and the compliance assessments they
-- make, one per company. Keep in step with ../sqlite/0013_campaigns.sql.
CREATE TABLE campaigns (
    id UUID PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    framework_id UUID NOT NULL REFERENCES frameworks(id),
    due_date DATE NOT NULL,
    started_at TIMESTAMPTZ NOT NULL,
    started_by TEXT NOT NULL
);
CREATE TABLE compliance_assessments (
    id UUID PRIMARY KEY,
    ref_no TEXT NOT NULL UNIQUE,
    company_id UUID NOT NULL REFERENCES companies(id),
    version BIGINT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    archived_at TIMESTAMPTZ,
    campaign UUID NOT NULL REFERENCES campaigns(id),
    framework UUID NOT NULL REFERENCES frameworks(id),
    status TEXT NOT NULL,
    owner UUID REFERENCES people(id),
    due_date DATE NOT NULL,
    notes TEXT,
    UNIQUE (company_id, campaign)
);
CREATE INDEX compliance_assessments_due ON compliance_assessments(due_date, id) WHERE archived_at IS NULL;
CREATE INDEX compliance_assessments_campaign ON compliance_assessments(campaign, company_id);
