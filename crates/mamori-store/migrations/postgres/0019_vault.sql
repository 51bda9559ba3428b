-- The customer-data vault: people affected by incidents, sealed (AEAD)
-- under the operator's key; nothing here is readable without it. Keep in
-- step with ../sqlite/0019_vault.sql.
CREATE TABLE affected_people (
    id UUID PRIMARY KEY,
    company_id UUID NOT NULL REFERENCES companies(id),
    incident_id UUID NOT NULL REFERENCES incidents(id),
    sealed TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    created_by TEXT NOT NULL
);
CREATE INDEX affected_people_incident ON affected_people(incident_id);
