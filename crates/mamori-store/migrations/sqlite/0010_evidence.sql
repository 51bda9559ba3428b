-- Evidence files attached to records, kept with their SHA-256; who added
-- them and every read are in the audit chain. Keep in step with
-- ../postgres/0010_evidence.sql.
CREATE TABLE evidence (
    id BLOB PRIMARY KEY,
    company_id BLOB NOT NULL REFERENCES companies(id),
    register TEXT NOT NULL,
    record_id BLOB NOT NULL,
    filename TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size INTEGER NOT NULL,
    sha256 TEXT NOT NULL,
    content BLOB NOT NULL,
    uploaded_by TEXT NOT NULL,
    uploaded_at TEXT NOT NULL
);
CREATE INDEX evidence_record ON evidence(register, record_id, uploaded_at);
