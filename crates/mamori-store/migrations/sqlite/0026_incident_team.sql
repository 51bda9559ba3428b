-- The people handling an incident, each with a role. Keep in step with
-- ../postgres/0026_incident_team.sql.
CREATE TABLE incident_team (
    id BLOB PRIMARY KEY,
    ref_no TEXT NOT NULL UNIQUE,
    company_id BLOB NOT NULL REFERENCES companies(id),
    version INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    archived_at TEXT,
    incident BLOB NOT NULL REFERENCES incidents(id),
    person BLOB NOT NULL REFERENCES people(id),
    role TEXT NOT NULL,
    joined_at TEXT
);
CREATE INDEX incident_team_incident ON incident_team(incident) WHERE archived_at IS NULL;
