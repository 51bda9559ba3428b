-- Alerts raised by the detection engine. Keep in step with ../sqlite/0002_alerts.sql.
-- One row per company and dedup key: seeing it again bumps count and last_seen.
CREATE TABLE alerts (
    id UUID PRIMARY KEY,
    company_id UUID NOT NULL REFERENCES companies(id),
    dedup_key TEXT NOT NULL,
    title TEXT NOT NULL,
    rule_id TEXT,
    level TEXT NOT NULL,
    tags TEXT NOT NULL,
    status TEXT NOT NULL,
    detail TEXT,
    first_seen TIMESTAMPTZ NOT NULL,
    last_seen TIMESTAMPTZ NOT NULL,
    count BIGINT NOT NULL,
    version BIGINT NOT NULL,
    UNIQUE (company_id, dedup_key)
);
CREATE INDEX alerts_recent ON alerts(company_id, last_seen);
