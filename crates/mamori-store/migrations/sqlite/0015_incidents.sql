-- Incidents, and notes on any record (an incident's timeline entries
-- written by people). Keep in step with ../postgres/0015_incidents.sql.
CREATE TABLE incidents (
    id BLOB PRIMARY KEY,
    ref_no TEXT NOT NULL UNIQUE,
    company_id BLOB NOT NULL REFERENCES companies(id),
    version INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    archived_at TEXT,
    title TEXT NOT NULL,
    category TEXT NOT NULL,
    severity TEXT NOT NULL,
    status TEXT NOT NULL,
    exercise INTEGER NOT NULL DEFAULT 0,
    detected_at TEXT NOT NULL,
    assignee BLOB REFERENCES people(id),
    status_reason TEXT,
    description TEXT
);
CREATE INDEX incidents_detected ON incidents(detected_at, id) WHERE archived_at IS NULL;
CREATE INDEX incidents_company ON incidents(company_id, detected_at) WHERE archived_at IS NULL;
CREATE TABLE record_notes (
    id BLOB PRIMARY KEY,
    register TEXT NOT NULL,
    record_id BLOB NOT NULL,
    company_id BLOB NOT NULL REFERENCES companies(id),
    body TEXT NOT NULL,
    created_at TEXT NOT NULL,
    created_by TEXT NOT NULL
);
CREATE INDEX record_notes_record ON record_notes(register, record_id, created_at);
-- Who made each kept state (an incident's timeline says who did what).
ALTER TABLE record_history ADD COLUMN changed_by TEXT;
