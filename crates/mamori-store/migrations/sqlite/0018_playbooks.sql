-- Playbooks and incident tasks. Keep in step with ../postgres/0018_playbooks.sql.
CREATE TABLE playbooks (
    id BLOB PRIMARY KEY,
    ref_no TEXT NOT NULL UNIQUE,
    company_id BLOB NOT NULL REFERENCES companies(id),
    version INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    archived_at TEXT,
    name TEXT NOT NULL,
    category TEXT NOT NULL,
    active INTEGER NOT NULL DEFAULT 0,
    steps TEXT NOT NULL
);
CREATE INDEX playbooks_company ON playbooks(company_id, category) WHERE archived_at IS NULL;
CREATE INDEX playbooks_name ON playbooks(name, id) WHERE archived_at IS NULL;
CREATE TABLE incident_tasks (
    id BLOB PRIMARY KEY,
    ref_no TEXT NOT NULL UNIQUE,
    company_id BLOB NOT NULL REFERENCES companies(id),
    version INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    archived_at TEXT,
    incident BLOB NOT NULL REFERENCES incidents(id),
    title TEXT NOT NULL,
    status TEXT NOT NULL,
    owner BLOB REFERENCES people(id),
    due_date TEXT,
    notes TEXT
);
CREATE INDEX incident_tasks_incident ON incident_tasks(incident, due_date) WHERE archived_at IS NULL;
CREATE INDEX incident_tasks_due ON incident_tasks(due_date, id) WHERE archived_at IS NULL;
