-- Playbooks and incident tasks. Keep in step with ../sqlite/0018_playbooks.sql.
CREATE TABLE playbooks (
    id UUID PRIMARY KEY,
    ref_no TEXT NOT NULL UNIQUE,
    company_id UUID NOT NULL REFERENCES companies(id),
    version BIGINT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    archived_at TIMESTAMPTZ,
    name TEXT NOT NULL,
    category TEXT NOT NULL,
    active BOOLEAN NOT NULL DEFAULT FALSE,
    steps TEXT NOT NULL
);
CREATE INDEX playbooks_company ON playbooks(company_id, category) WHERE archived_at IS NULL;
CREATE INDEX playbooks_name ON playbooks(name, id) WHERE archived_at IS NULL;
CREATE TABLE incident_tasks (
    id UUID PRIMARY KEY,
    ref_no TEXT NOT NULL UNIQUE,
    company_id UUID NOT NULL REFERENCES companies(id),
    version BIGINT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    archived_at TIMESTAMPTZ,
    incident UUID NOT NULL REFERENCES incidents(id),
    title TEXT NOT NULL,
    status TEXT NOT NULL,
    owner UUID REFERENCES people(id),
    due_date DATE,
    notes TEXT
);
CREATE INDEX incident_tasks_incident ON incident_tasks(incident, due_date) WHERE archived_at IS NULL;
CREATE INDEX incident_tasks_due ON incident_tasks(due_date, id) WHERE archived_at IS NULL;
