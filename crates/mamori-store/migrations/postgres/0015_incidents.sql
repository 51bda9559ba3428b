-- Incidents, and notes on any record (an incident's timeline entries
-- written by people). Keep in step with ../sqlite/0015_incidents.sql.
CREATE TABLE incidents (
    id UUID PRIMARY KEY,
    ref_no TEXT NOT NULL UNIQUE,
    company_id UUID NOT NULL REFERENCES companies(id),
    version BIGINT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    archived_at TIMESTAMPTZ,
    title TEXT NOT NULL,
    category TEXT NOT NULL,
    severity TEXT NOT NULL,
    status TEXT NOT NULL,
    exercise BOOLEAN NOT NULL DEFAULT FALSE,
    detected_at TIMESTAMPTZ NOT NULL,
    assignee UUID REFERENCES people(id),
    status_reason TEXT,
    description TEXT
);
CREATE INDEX incidents_detected ON incidents(detected_at, id) WHERE archived_at IS NULL;
CREATE INDEX incidents_company ON incidents(company_id, detected_at) WHERE archived_at IS NULL;
CREATE TABLE record_notes (
    id UUID PRIMARY KEY,
    register TEXT NOT NULL,
    record_id UUID NOT NULL,
    company_id UUID NOT NULL REFERENCES companies(id),
    body TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    created_by TEXT NOT NULL
);
CREATE INDEX record_notes_record ON record_notes(register, record_id, created_at);
-- Who made each kept state (an incident's timeline says who did what).
ALTER TABLE record_history ADD COLUMN changed_by TEXT;
