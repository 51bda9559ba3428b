-- The people handling an incident, each with a role. Keep in step with
-- ../sqlite/0026_incident_team.sql.
CREATE TABLE incident_team (
    id UUID PRIMARY KEY,
    ref_no TEXT NOT NULL UNIQUE,
    company_id UUID NOT NULL REFERENCES companies(id),
    version BIGINT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    archived_at TIMESTAMPTZ,
    incident UUID NOT NULL REFERENCES incidents(id),
    person UUID NOT NULL REFERENCES people(id),
    role TEXT NOT NULL,
    joined_at TIMESTAMPTZ
);
CREATE INDEX incident_team_incident ON incident_team(incident) WHERE archived_at IS NULL;
