-- Corrective actions (CAPA). Keep in step with ../sqlite/0017_corrective_actions.sql.
CREATE TABLE corrective_actions (
    id UUID PRIMARY KEY,
    ref_no TEXT NOT NULL UNIQUE,
    company_id UUID NOT NULL REFERENCES companies(id),
    version BIGINT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    archived_at TIMESTAMPTZ,
    title TEXT NOT NULL,
    status TEXT NOT NULL,
    owner UUID REFERENCES people(id),
    due_date DATE NOT NULL,
    description TEXT,
    verification TEXT,
    verified_by UUID REFERENCES people(id)
);
CREATE INDEX corrective_actions_due ON corrective_actions(due_date, id) WHERE archived_at IS NULL;
CREATE INDEX corrective_actions_company ON corrective_actions(company_id, due_date) WHERE archived_at IS NULL;
