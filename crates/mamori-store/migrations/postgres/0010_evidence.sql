-- Evidence files attached to records, kept with their SHA-256; who added
-- them and every read are in the audit chain. Keep in step with
-- ../sqlite/0010_evidence.sql.
CREATE TABLE evidence (
    id UUID PRIMARY KEY,
    company_id UUID NOT NULL REFERENCES companies(id),
    register TEXT NOT NULL,
    record_id UUID NOT NULL,
    filename TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size BIGINT NOT NULL,
    sha256 TEXT NOT NULL,
    content BYTEA NOT NULL,
    uploaded_by TEXT NOT NULL,
    uploaded_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX evidence_record ON evidence(register, record_id, uploaded_at);
