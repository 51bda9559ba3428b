-- mamori foundation schema (PostgreSQL). Keep in step with ../sqlite/0001_foundation.sql.
-- Ids are UUID v7; times are timestamptz (UTC); dates are date.

CREATE TABLE companies (
    id UUID PRIMARY KEY,
    code TEXT NOT NULL UNIQUE,
    name_ja TEXT NOT NULL,
    name_en TEXT NOT NULL,
    is_holding BOOLEAN NOT NULL DEFAULT FALSE,
    created_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE departments (
    id UUID PRIMARY KEY,
    ref_no TEXT NOT NULL UNIQUE,
    company_id UUID NOT NULL REFERENCES companies(id),
    version BIGINT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    archived_at TIMESTAMPTZ,
    code TEXT NOT NULL UNIQUE,
    name_ja TEXT NOT NULL,
    name_en TEXT NOT NULL
);
CREATE INDEX departments_company ON departments(company_id);

CREATE TABLE users (
    id UUID PRIMARY KEY,
    username TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    person_id UUID,
    password_hash TEXT NOT NULL,
    must_change_password BOOLEAN NOT NULL DEFAULT TRUE,
    totp_secret TEXT,
    totp_enabled BOOLEAN NOT NULL DEFAULT FALSE,
    totp_last_step BIGINT,
    locale TEXT,
    time_zone TEXT,
    disabled_at TIMESTAMPTZ,
    created_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE recovery_codes (
    user_id UUID NOT NULL REFERENCES users(id),
    code_hash TEXT NOT NULL,
    used_at TIMESTAMPTZ,
    PRIMARY KEY (user_id, code_hash)
);

CREATE TABLE role_assignments (
    id UUID PRIMARY KEY,
    user_id UUID NOT NULL REFERENCES users(id),
    company_id UUID REFERENCES companies(id),
    role TEXT NOT NULL,
    expires_at TIMESTAMPTZ,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX role_assignments_user ON role_assignments(user_id);

CREATE TABLE sessions (
    id_hash TEXT PRIMARY KEY,
    user_id UUID NOT NULL REFERENCES users(id),
    csrf_token TEXT NOT NULL,
    mfa_pending BOOLEAN NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    last_seen_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX sessions_user ON sessions(user_id);

CREATE TABLE api_tokens (
    id UUID PRIMARY KEY,
    user_id UUID NOT NULL REFERENCES users(id),
    name TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    scopes TEXT NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    last_used_at TIMESTAMPTZ,
    revoked_at TIMESTAMPTZ
);


CREATE TABLE counters (
    name TEXT PRIMARY KEY,
    value BIGINT NOT NULL
);

CREATE TABLE audit_head (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    seq BIGINT NOT NULL,
    hash TEXT NOT NULL
);
INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');

CREATE TABLE audit_log (
    seq BIGINT PRIMARY KEY,
    at TIMESTAMPTZ NOT NULL,
    actor_id UUID,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    register TEXT NOT NULL,
    record_id UUID,
    company_id UUID,
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
    id UUID PRIMARY KEY,
    ref_no TEXT NOT NULL UNIQUE,
    company_id UUID NOT NULL REFERENCES companies(id),
    version BIGINT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    archived_at TIMESTAMPTZ,
    employee_no TEXT NOT NULL UNIQUE,
    family_name TEXT NOT NULL,
    given_name TEXT NOT NULL,
    family_name_kana TEXT,
    given_name_kana TEXT,
    email TEXT NOT NULL UNIQUE,
    department UUID REFERENCES departments(id),
    job_title TEXT,
    employment TEXT NOT NULL
);
CREATE INDEX people_company ON people(company_id, family_name) WHERE archived_at IS NULL;
CREATE INDEX people_department ON people(department);
CREATE INDEX people_employment ON people(employment, family_name) WHERE archived_at IS NULL;

CREATE TABLE assets (
    id UUID PRIMARY KEY,
    ref_no TEXT NOT NULL UNIQUE,
    company_id UUID NOT NULL REFERENCES companies(id),
    version BIGINT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    archived_at TIMESTAMPTZ,
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    classification TEXT NOT NULL,
    customer_personal_info BOOLEAN NOT NULL DEFAULT FALSE,
    owner UUID REFERENCES people(id),
    location TEXT,
    description TEXT,
    review_date DATE
);
CREATE INDEX assets_company_name ON assets(company_id, name) WHERE archived_at IS NULL;
CREATE INDEX assets_name ON assets(name, id) WHERE archived_at IS NULL;
CREATE INDEX assets_classification ON assets(classification, name) WHERE archived_at IS NULL;
CREATE INDEX assets_customer ON assets(customer_personal_info, classification, name) WHERE archived_at IS NULL;
CREATE INDEX assets_kind ON assets(kind, name) WHERE archived_at IS NULL;
CREATE INDEX assets_owner ON assets(owner);


CREATE TABLE committees (
    id UUID PRIMARY KEY,
    ref_no TEXT NOT NULL UNIQUE,
    company_id UUID NOT NULL REFERENCES companies(id),
    version BIGINT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    archived_at TIMESTAMPTZ,
    code TEXT NOT NULL UNIQUE,
    name_ja TEXT NOT NULL,
    name_en TEXT NOT NULL,
    purpose TEXT
);

CREATE TABLE committee_members (
    id UUID PRIMARY KEY,
    ref_no TEXT NOT NULL UNIQUE,
    company_id UUID NOT NULL REFERENCES companies(id),
    version BIGINT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    archived_at TIMESTAMPTZ,
    committee UUID NOT NULL REFERENCES committees(id),
    person UUID NOT NULL REFERENCES people(id),
    role TEXT NOT NULL,
    since DATE,
    UNIQUE (committee, person)
);
CREATE INDEX committee_members_committee ON committee_members(committee);
