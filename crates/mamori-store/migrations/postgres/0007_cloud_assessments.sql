-- Cloud-service risk assessments. Keep in step with ../sqlite/0007_cloud_assessments.sql.
CREATE TABLE cloud_assessments (
    id UUID PRIMARY KEY,
    ref_no TEXT NOT NULL UNIQUE,
    company_id UUID NOT NULL REFERENCES companies(id),
    version BIGINT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    archived_at TIMESTAMPTZ,
    asset UUID NOT NULL REFERENCES assets(id),
    verdict TEXT NOT NULL,
    max_classification TEXT,
    expiry DATE NOT NULL,
    assessed_on DATE NOT NULL,
    assessor UUID REFERENCES people(id),
    data_location TEXT,
    iso27001 BOOLEAN NOT NULL DEFAULT FALSE,
    iso27017 BOOLEAN NOT NULL DEFAULT FALSE,
    ismap BOOLEAN NOT NULL DEFAULT FALSE,
    soc2 BOOLEAN NOT NULL DEFAULT FALSE,
    encryption TEXT,
    access_control_mfa TEXT,
    logging TEXT,
    incident_notice TEXT,
    subprocessors TEXT,
    exit_deletion TEXT,
    conditions TEXT,
    notes TEXT
);
CREATE INDEX cloud_assessments_expiry ON cloud_assessments(expiry, id) WHERE archived_at IS NULL;
CREATE INDEX cloud_assessments_company ON cloud_assessments(company_id, expiry) WHERE archived_at IS NULL;
CREATE INDEX cloud_assessments_asset ON cloud_assessments(asset);
