-- Notification: the on-duty roster, escalation rules, drill injects and
-- the mail outbox (every e-mail mamori decides to send, kept until the
-- SMTP server accepts it). Keep in step with ../postgres/0023_notification.sql.
CREATE TABLE duty_shifts (
    id BLOB PRIMARY KEY,
    ref_no TEXT NOT NULL UNIQUE,
    company_id BLOB NOT NULL REFERENCES companies(id),
    version INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    archived_at TEXT,
    person BLOB NOT NULL REFERENCES people(id),
    tier TEXT NOT NULL,
    starts_at TEXT NOT NULL,
    ends_at TEXT NOT NULL,
    note TEXT
);
CREATE INDEX duty_shifts_when ON duty_shifts(company_id, ends_at) WHERE archived_at IS NULL;
CREATE TABLE escalation_rules (
    id BLOB PRIMARY KEY,
    ref_no TEXT NOT NULL UNIQUE,
    company_id BLOB NOT NULL REFERENCES companies(id),
    version INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    archived_at TEXT,
    name TEXT NOT NULL,
    event TEXT NOT NULL,
    tier TEXT,
    also_notify TEXT,
    after_minutes INTEGER NOT NULL,
    min_severity TEXT,
    min_level TEXT,
    exercises INTEGER NOT NULL DEFAULT 0,
    active INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE drill_injects (
    id BLOB PRIMARY KEY,
    ref_no TEXT NOT NULL UNIQUE,
    company_id BLOB NOT NULL REFERENCES companies(id),
    version INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    archived_at TEXT,
    incident BLOB NOT NULL REFERENCES incidents(id),
    due_at TEXT NOT NULL,
    message TEXT NOT NULL,
    delivered_at TEXT
);
CREATE INDEX drill_injects_due ON drill_injects(due_at, id) WHERE archived_at IS NULL AND delivered_at IS NULL;
CREATE TABLE mail_outbox (
    id BLOB PRIMARY KEY,
    notice_key TEXT NOT NULL UNIQUE,
    company_id BLOB REFERENCES companies(id),
    recipients TEXT NOT NULL,
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    created_at TEXT NOT NULL,
    next_try_at TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    sent_at TEXT,
    failed_at TEXT,
    last_error TEXT
);
CREATE INDEX mail_outbox_due ON mail_outbox(next_try_at) WHERE sent_at IS NULL AND failed_at IS NULL;
CREATE INDEX mail_outbox_recent ON mail_outbox(created_at);
