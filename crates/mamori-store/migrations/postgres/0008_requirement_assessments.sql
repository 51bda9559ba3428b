-- Applicability and implementation per company and requirement. Keep in
-- step with ../sqlite/0008_requirement_assessments.sql.
CREATE TABLE requirement_assessments (
    id UUID PRIMARY KEY,
    ref_no TEXT NOT NULL UNIQUE,
    company_id UUID NOT NULL REFERENCES companies(id),
    version BIGINT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    archived_at TIMESTAMPTZ,
    requirement UUID NOT NULL REFERENCES requirement_nodes(id),
    framework UUID NOT NULL REFERENCES frameworks(id),
    applicability TEXT NOT NULL,
    implementation TEXT NOT NULL,
    owner UUID REFERENCES people(id),
    review_date DATE,
    justification TEXT,
    notes TEXT,
    UNIQUE (company_id, requirement)
);
CREATE INDEX requirement_assessments_framework ON requirement_assessments(company_id, framework, ref_no) WHERE archived_at IS NULL;
CREATE INDEX requirement_assessments_framework_all ON requirement_assessments(framework, ref_no) WHERE archived_at IS NULL;
