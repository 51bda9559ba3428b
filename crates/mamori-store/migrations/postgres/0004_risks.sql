-- The risk register. Keep in step with ../sqlite/0004_risks.sql.
-- Scores and levels are computed by mamori from likelihood and impact.
CREATE TABLE risks (
    id UUID PRIMARY KEY,
    ref_no TEXT NOT NULL UNIQUE,
    company_id UUID NOT NULL REFERENCES companies(id),
    version BIGINT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    archived_at TIMESTAMPTZ,
    title TEXT NOT NULL,
    inherent_level TEXT NOT NULL,
    inherent_score BIGINT NOT NULL,
    residual_level TEXT,
    status TEXT NOT NULL,
    owner UUID REFERENCES people(id),
    review_date DATE,
    description TEXT,
    asset UUID REFERENCES assets(id),
    threat TEXT,
    vulnerability TEXT,
    inherent_likelihood TEXT NOT NULL,
    inherent_impact TEXT NOT NULL,
    treatment TEXT,
    residual_likelihood TEXT,
    residual_impact TEXT,
    residual_score BIGINT,
    acceptance_approver UUID REFERENCES people(id),
    acceptance_reason TEXT,
    acceptance_expiry DATE
);
CREATE INDEX risks_company_score ON risks(company_id, inherent_score) WHERE archived_at IS NULL;
CREATE INDEX risks_score ON risks(inherent_score, id) WHERE archived_at IS NULL;
CREATE INDEX risks_cells ON risks(company_id, inherent_likelihood, inherent_impact) WHERE archived_at IS NULL;
CREATE INDEX risks_owner ON risks(owner);
CREATE INDEX risks_asset ON risks(asset);
