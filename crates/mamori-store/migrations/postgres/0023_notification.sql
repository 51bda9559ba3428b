-- Notification: the on-duty roster, escalation rules, drill injects and
-- the mail outbox (every e-mail mamori decides to send, kept until the
-- SMTP server accepts it). Keep in step with ../sqlite/0023_notification.sql.
CREATE TABLE duty_shifts (
    id UUID PRIMARY KEY,
    ref_no TEXT NOT NULL UNIQUE,
    company_id UUID NOT NULL REFERENCES companies(id),
    version BIGINT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    archived_at TIMESTAMPTZ,
    person UUID NOT NULL REFERENCES people(id),
    tier TEXT NOT NULL,
    starts_at TIMESTAMPTZ NOT NULL,
    ends_at TIMESTAMPTZ NOT NULL,
    note TEXT
);
CREATE INDEX duty_shifts_when ON duty_shifts(company_id, ends_at) WHERE archived_at IS NULL;
CREATE TABLE escalation_rules (
    id UUID PRIMARY KEY,
    ref_no TEXT NOT NULL UNIQUE,
    company_id UUID NOT NULL REFERENCES companies(id),
    version BIGINT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    archived_at TIMESTAMPTZ,
    name TEXT NOT NULL,
    event TEXT NOT NULL,
    tier TEXT,
    also_notify TEXT,
    after_minutes BIGINT NOT NULL,
    min_severity TEXT,
    min_level TEXT,
    exercises BOOLEAN NOT NULL DEFAULT FALSE,
    active BOOLEAN NOT NULL DEFAULT FALSE
);
CREATE TABLE drill_injects (
    id UUID PRIMARY KEY,
    ref_no TEXT NOT NULL UNIQUE,
    company_id UUID NOT NULL REFERENCES companies(id),
    version BIGINT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    archived_at TIMESTAMPTZ,
    incident UUID NOT NULL REFERENCES incidents(id),
    due_at TIMESTAMPTZ NOT NULL,
    message TEXT NOT NULL,
    delivered_at TIMESTAMPTZ
);
CREATE INDEX drill_injects_due ON drill_injects(due_at, id) WHERE archived_at IS NULL AND delivered_at IS NULL;
CREATE TABLE mail_outbox (
    id UUID PRIMARY KEY,
    notice_key TEXT NOT NULL UNIQUE,
    company_id UUID REFERENCES companies(id),
    recipients TEXT NOT NULL,
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    next_try_at TIMESTAMPTZ NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    sent_at TIMESTAMPTZ,
    failed_at TIMESTAMPTZ,
    last_error TEXT
);
CREATE INDEX mail_outbox_due ON mail_outbox(next_try_at) WHERE sent_at IS NULL AND failed_at IS NULL;
CREATE INDEX mail_outbox_recent ON mail_outbox(created_at);
