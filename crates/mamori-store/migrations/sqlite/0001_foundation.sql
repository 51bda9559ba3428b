-- mamori foundation schema (SQLite). Keep in step with ../postgres/0001_foundation.sql.
-- Ids are UUID v7 (16-byte BLOB); times are UTC RFC 3339 text; dates YYYY-MM-DD.

CREATE TABLE companies (
    id BLOB PRIMARY KEY,
    code TEXT NOT NULL UNIQUE,
    name_ja TEXT NOT NULL,
    name_en TEXT NOT NULL,
    is_holding INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL
);

CREATE TABLE departments (
    id BLOB PRIMARY KEY,
    ref_no TEXT NOT NULL UNIQUE,
    company_id BLOB NOT NULL REFERENCES companies(id),
    version INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    archived_at TEXT,
    code TEXT NOT NULL UNIQUE,
    name_ja TEXT NOT NULL,
    name_en TEXT NOT NULL
);
CREATE INDEX departments_company ON departments(company_id);

CREATE TABLE users (
    id BLOB PRIMARY KEY,
    username TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    person_id BLOB,
    password_hash TEXT NOT NULL,
    must_change_password INTEGER NOT NULL DEFAULT 1,
    totp_secret TEXT,
    totp_enabled INTEGER NOT NULL DEFAULT 0,
    totp_last_step INTEGER,
    locale TEXT,
    time_zone TEXT,
    disabled_at TEXT,
    created_at TEXT NOT NULL
);

CREATE TABLE recovery_codes (
    user_id BLOB NOT NULL REFERENCES users(id),
    code_hash TEXT NOT NULL,
    used_at TEXT,
    PRIMARY KEY (user_id, code_hash)
);

CREATE TABLE role_assignments (
    id BLOB PRIMARY KEY,
    user_id BLOB NOT NULL REFERENCES users(id),
    company_id BLOB REFERENCES companies(id),
    role TEXT NOT NULL,
    expires_at TEXT,
    created_at TEXT NOT NULL
);
CREATE INDEX role_assignments_user ON role_assignments(user_id);

CREATE TABLE sessions (
    id_hash TEXT PRIMARY KEY,
    user_id BLOB NOT NULL REFERENCES users(id),
    csrf_token TEXT NOT NULL,
    mfa_pending INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    last_seen_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
);
CREATE INDEX sessions_user ON sessions(user_id);

CREATE TABLE api_tokens (
    id BLOB PRIMARY KEY,
    user_id BLOB NOT NULL REFERENCES users(id),
    name TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    scopes TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    created_at TEXT NOT NULL,
    last_used_at TEXT,
    revoked_at TEXT
);


CREATE TABLE counters (
    name TEXT PRIMARY KEY,
    value INTEGER NOT NULL
);

CREATE TABLE audit_head (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    seq INTEGER NOT NULL,
    hash TEXT NOT NULL
);
INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');

CREATE TABLE audit_log (
    seq INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    actor_id BLOB,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    register TEXT NOT NULL,
    record_id BLOB,
    company_id BLOB,
    before_digest TEXT,
    after_digest TEXT,
    detail TEXT,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
CREATE INDEX audit_log_record ON audit_log(record_id);

-- Registers. List indexes are partial (active records), matching the lists
-- default filter, so counts and sorted pages read the index alone.
-- Common columns first, then the register's fields (named as in
-- the domain spec); references hold the target's id.

CREATE TABLE people (
    id BLOB PRIMARY KEY,
    ref_no TEXT NOT NULL UNIQUE,
    company_id BLOB NOT NULL REFERENCES companies(id),
    version INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    archived_at TEXT,
    employee_no TEXT NOT NULL UNIQUE,
    family_name TEXT NOT NULL,
    given_name TEXT NOT NULL,
    family_name_kana TEXT,
    given_name_kana TEXT,
    email TEXT NOT NULL UNIQUE,
    department BLOB REFERENCES departments(id),
    job_title TEXT,
    employment TEXT NOT NULL
);
CREATE INDEX people_company ON people(company_id, family_name) WHERE archived_at IS NULL;
CREATE INDEX people_department ON people(department);
CREATE INDEX people_employment ON people(employment, family_name) WHERE archived_at IS NULL;

CREATE TABLE assets (
    id BLOB PRIMARY KEY,
    ref_no TEXT NOT NULL UNIQUE,
    company_id BLOB NOT NULL REFERENCES companies(id),
    version INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    archived_at TEXT,
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    classification TEXT NOT NULL,
    customer_personal_info INTEGER NOT NULL DEFAULT 0,
    owner BLOB REFERENCES people(id),
    location TEXT,
    description TEXT,
    review_date TEXT
);
CREATE INDEX assets_company_name ON assets(company_id, name) WHERE archived_at IS NULL;
CREATE INDEX assets_name ON assets(name, id) WHERE archived_at IS NULL;
CREATE INDEX assets_classification ON assets(classification, name) WHERE archived_at IS NULL;
CREATE INDEX assets_customer ON assets(customer_personal_info, classification, name) WHERE archived_at IS NULL;
CREATE INDEX assets_kind ON assets(kind, name) WHERE archived_at IS NULL;
CREATE INDEX assets_owner ON assets(owner);


CREATE TABLE committees (
    id BLOB PRIMARY KEY,
    ref_no TEXT NOT NULL UNIQUE,
    company_id BLOB NOT NULL REFERENCES companies(id),
    version INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    archived_at TEXT,
    code TEXT NOT NULL UNIQUE,
    name_ja TEXT NOT NULL,
    name_en TEXT NOT NULL,
    purpose TEXT
);

CREATE TABLE committee_members (
    id BLOB PRIMARY KEY,
    ref_no TEXT NOT NULL UNIQUE,
    company_id BLOB NOT NULL REFERENCES companies(id),
    version INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    archived_at TEXT,
    committee BLOB NOT NULL REFERENCES committees(id),
    person BLOB NOT NULL REFERENCES people(id),
    role TEXT NOT NULL,
    since TEXT,
    UNIQUE (committee, person)
);
CREATE INDEX committee_members_committee ON committee_members(committee);
