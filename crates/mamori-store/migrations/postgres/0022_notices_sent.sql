-- Deadline notices already sent (one per incident, clock and kind), so
-- none goes twice. Keep in step with ../sqlite/0022_notices_sent.sql.
CREATE TABLE notices_sent (
    notice_key TEXT PRIMARY KEY,
    sent_at TIMESTAMPTZ NOT NULL
);
