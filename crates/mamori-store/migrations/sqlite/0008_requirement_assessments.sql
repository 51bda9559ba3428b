-- Applicability and implementation per company and requirement. Keep in
-- step with ../postgres/0008_requirement_assessments.sql.
CREATE TABLE requirement_assessments (
    id BLOB PRIMARY KEY,
    ref_no TEXT NOT NULL UNIQUE,
    company_id BLOB NOT NULL REFERENCES companies(id),
    version INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    archived_at TEXT,
    requirement BLOB NOT NULL REFERENCES requirement_nodes(id),
    framework BLOB NOT NULL REFERENCES frameworks(id),
    applicability TEXT NOT NULL,
    implementation TEXT NOT NULL,
    owner BLOB REFERENCES people(id),
    review_date TEXT,
    justification TEXT,
    notes TEXT,
    UNIQUE (company_id, requirement)
);
CREATE INDEX requirement_assessments_framework ON requirement_assessments(company_id, framework, ref_no) WHERE archived_at IS NULL;
CREATE INDEX requirement_assessments_framework_all ON requirement_assessments(framework, ref_no) WHERE archived_at IS NULL;
