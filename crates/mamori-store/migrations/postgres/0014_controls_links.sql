-- Controls (管理策), and links between records of two registers (a control
-- with the risks it treats and the requirements it meets). Keep in step
-- with ../sqlite/0014_controls_links.sql.
CREATE TABLE controls (
    id UUID PRIMARY KEY,
    ref_no TEXT NOT NULL UNIQUE,
    company_id UUID NOT NULL REFERENCES companies(id),
    version BIGINT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    archived_at TIMESTAMPTZ,
    name TEXT NOT NULL,
    category TEXT,
    status TEXT NOT NULL,
    owner UUID REFERENCES people(id),
    due_date DATE,
    reference_control UUID REFERENCES reference_controls(id),
    description TEXT
);
CREATE INDEX controls_company_name ON controls(company_id, name) WHERE archived_at IS NULL;
CREATE INDEX controls_name ON controls(name, id) WHERE archived_at IS NULL;
CREATE TABLE record_links (
    id UUID PRIMARY KEY,
    company_id UUID NOT NULL REFERENCES companies(id),
    from_register TEXT NOT NULL,
    from_id UUID NOT NULL,
    to_register TEXT NOT NULL,
    to_id UUID NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    created_by TEXT NOT NULL,
    UNIQUE (from_register, from_id, to_register, to_id)
);
CREATE INDEX record_links_to ON record_links(to_register, to_id);
