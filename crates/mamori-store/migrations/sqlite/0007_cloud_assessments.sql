-- Cloud-service risk assessments. Keep in step with ../postgres/0007_cloud_assessments.sql.
CREATE TABLE cloud_assessments (
    id BLOB PRIMARY KEY,
    ref_no TEXT NOT NULL UNIQUE,
    company_id BLOB NOT NULL REFERENCES companies(id),
    version INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    archived_at TEXT,
    asset BLOB NOT NULL REFERENCES assets(id),
    verdict TEXT NOT NULL,
    max_classification TEXT,
    expiry TEXT NOT NULL,
    assessed_on TEXT NOT NULL,
    assessor BLOB REFERENCES people(id),
    data_location TEXT,
    iso27001 INTEGER NOT NULL DEFAULT 0,
    iso27017 INTEGER NOT NULL DEFAULT 0,
    ismap INTEGER NOT NULL DEFAULT 0,
    soc2 INTEGER NOT NULL DEFAULT 0,
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
