-- Corrective actions (CAPA). Keep in step with ../postgres/0017_corrective_actions.sql.
CREATE TABLE corrective_actions (
    id BLOB PRIMARY KEY,
    ref_no TEXT NOT NULL UNIQUE,
    company_id BLOB NOT NULL REFERENCES companies(id),
    version INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    archived_at TEXT,
    title TEXT NOT NULL,
    status TEXT NOT NULL,
    owner BLOB REFERENCES people(id),
    due_date TEXT NOT NULL,
    description TEXT,
    verification TEXT,
    verified_by BLOB REFERENCES people(id)
);
CREATE INDEX corrective_actions_due ON corrective_actions(due_date, id) WHERE archived_at IS NULL;
CREATE INDEX corrective_actions_company ON corrective_actions(company_id, due_date) WHERE archived_at IS NULL;
