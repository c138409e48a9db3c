-- audit-hub schema (SQLite dialect). Keep in step with migrations/postgres/0001_init.sql.
-- Amounts are stored as integer tenths of a thousand tenge, so sums are exact.
-- Dates are ISO text (YYYY-MM-DD), timestamps RFC 3339 text in UTC.

CREATE TABLE territories (
    kato        TEXT PRIMARY KEY CHECK (length(kato) = 9),
    kind        TEXT NOT NULL CHECK (kind IN ('REPUBLIC','OBLAST','CITY_REPUBLICAN','CAPITAL','DISTRICT','CITY_DISTRICT','RURAL')),
    region_kato TEXT REFERENCES territories(kato),
    parent_kato TEXT REFERENCES territories(kato),
    name_kk     TEXT NOT NULL,
    name_ru     TEXT NOT NULL,
    name_en     TEXT
);
CREATE INDEX territories_region ON territories(region_kato);

CREATE TABLE functional_groups (
    code    TEXT PRIMARY KEY CHECK (length(code) = 2),
    name_kk TEXT NOT NULL,
    name_ru TEXT NOT NULL,
    name_en TEXT
);

CREATE TABLE economic_specifics (
    code    TEXT PRIMARY KEY CHECK (length(code) = 3),
    name_kk TEXT NOT NULL,
    name_ru TEXT NOT NULL,
    name_en TEXT
);

-- An administrator is keyed by (level, territory, code): the code alone never implies the level.
CREATE TABLE administrators (
    id      INTEGER PRIMARY KEY,
    level   TEXT NOT NULL CHECK (level IN ('REPUBLICAN','REGIONAL','DISTRICT','RURAL')),
    kato    TEXT NOT NULL REFERENCES territories(kato),
    code    TEXT NOT NULL CHECK (length(code) = 3),
    name_kk TEXT NOT NULL,
    name_ru TEXT NOT NULL,
    name_en TEXT,
    UNIQUE (level, kato, code)
);

CREATE TABLE budget_programs (
    id            INTEGER PRIMARY KEY,
    level         TEXT NOT NULL,
    kato          TEXT NOT NULL REFERENCES territories(kato),
    administrator TEXT NOT NULL,
    program       TEXT NOT NULL CHECK (length(program) = 3),
    name_kk       TEXT NOT NULL,
    name_ru       TEXT NOT NULL,
    name_en       TEXT,
    UNIQUE (level, kato, administrator, program)
);

-- One classification line of one year's budget. Empty subprogram / specific are stored as ''.
CREATE TABLE budget_lines (
    id               INTEGER PRIMARY KEY,
    year             INTEGER NOT NULL CHECK (year BETWEEN 1990 AND 2100),
    level            TEXT NOT NULL CHECK (level IN ('REPUBLICAN','REGIONAL','DISTRICT','RURAL')),
    kato             TEXT NOT NULL REFERENCES territories(kato),
    region_kato      TEXT REFERENCES territories(kato),
    administrator    TEXT NOT NULL CHECK (length(administrator) = 3),
    program          TEXT NOT NULL CHECK (length(program) = 3),
    subprogram       TEXT NOT NULL DEFAULT '',
    specific         TEXT NOT NULL DEFAULT '',
    functional_group TEXT NOT NULL CHECK (length(functional_group) = 2),
    UNIQUE (year, level, kato, administrator, program, subprogram, specific)
);
CREATE INDEX budget_lines_scope_admin ON budget_lines(level, administrator, kato);
CREATE INDEX budget_lines_scope_kato ON budget_lines(kato, level, administrator);
CREATE INDEX budget_lines_region ON budget_lines(region_kato, level, administrator);

-- Amounts per phase. EXECUTED rows are cumulative as of a date; the other phases carry no date.
CREATE TABLE budget_amounts (
    id            INTEGER PRIMARY KEY,
    line_id       INTEGER NOT NULL REFERENCES budget_lines(id),
    phase         TEXT NOT NULL CHECK (phase IN ('REQUESTED','APPROVED','SPECIFIED','CORRECTED','EXECUTED')),
    as_of         TEXT,
    amount_tenths INTEGER NOT NULL,
    CHECK ((phase = 'EXECUTED') = (as_of IS NOT NULL))
);
CREATE UNIQUE INDEX budget_amounts_plan ON budget_amounts(line_id, phase) WHERE as_of IS NULL;
CREATE UNIQUE INDEX budget_amounts_exec ON budget_amounts(line_id, phase, as_of) WHERE as_of IS NOT NULL;

CREATE TABLE organizations (
    id            INTEGER PRIMARY KEY,
    bin           TEXT NOT NULL UNIQUE CHECK (length(bin) = 12),
    kind          TEXT NOT NULL,
    name_kk       TEXT NOT NULL,
    name_ru       TEXT NOT NULL,
    name_en       TEXT,
    kato          TEXT NOT NULL REFERENCES territories(kato),
    budget_level  TEXT NOT NULL CHECK (budget_level IN ('REPUBLICAN','REGIONAL','DISTRICT','RURAL')),
    administrator TEXT CHECK (administrator IS NULL OR length(administrator) = 3),
    parent_id     INTEGER REFERENCES organizations(id),
    -- Paragraph 2.6: internal audit of the National Bank and the financial regulator are not audit bodies.
    audit_excluded INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX organizations_scope ON organizations(budget_level, kato, administrator);
CREATE INDEX organizations_kind ON organizations(kind);

CREATE TABLE users (
    id              INTEGER PRIMARY KEY,
    iin             TEXT NOT NULL UNIQUE CHECK (length(iin) = 12),
    surname         TEXT NOT NULL,
    name            TEXT NOT NULL,
    patronymic      TEXT,
    position        TEXT NOT NULL,
    structural_unit TEXT NOT NULL,
    phone           TEXT,
    email           TEXT,
    eqyzmet_qr      TEXT,
    organization_id INTEGER NOT NULL REFERENCES organizations(id),
    is_head         INTEGER NOT NULL DEFAULT 0,
    status          TEXT NOT NULL DEFAULT 'ACTIVE' CHECK (status IN ('ACTIVE','BLOCKED')),
    created_at      TEXT NOT NULL,
    blocked_at      TEXT
);
CREATE INDEX users_organization ON users(organization_id);

CREATE TABLE informatization_objects (
    id            INTEGER PRIMARY KEY,
    kind          TEXT NOT NULL CHECK (kind IN ('INFORMATION_SYSTEM','ELECTRONIC_INFORMATION_RESOURCE','SOFTWARE_PRODUCT','INTERNET_RESOURCE','ICT_INFRASTRUCTURE')),
    object_class  INTEGER NOT NULL CHECK (object_class BETWEEN 1 AND 3),
    name_kk       TEXT NOT NULL,
    name_ru       TEXT NOT NULL,
    name_en       TEXT,
    account_code  TEXT NOT NULL UNIQUE,
    owner_id      INTEGER NOT NULL REFERENCES organizations(id),
    possessor_id  INTEGER NOT NULL REFERENCES organizations(id),
    stage         TEXT NOT NULL CHECK (stage IN ('CREATION','TRIAL_OPERATION','INDUSTRIAL_OPERATION','DEVELOPMENT','DECOMMISSIONED')),
    access_level  TEXT NOT NULL CHECK (access_level IN ('PUBLIC','RESTRICTED')),
    registered_on TEXT NOT NULL
);
CREATE INDEX informatization_objects_owner ON informatization_objects(owner_id);
CREATE INDEX informatization_objects_possessor ON informatization_objects(possessor_id);

CREATE TABLE object_stage_history (
    id         INTEGER PRIMARY KEY,
    object_id  INTEGER NOT NULL REFERENCES informatization_objects(id),
    stage      TEXT NOT NULL,
    started_on TEXT NOT NULL,
    basis      TEXT,
    UNIQUE (object_id, started_on, stage)
);

CREATE TABLE object_funding (
    object_id INTEGER NOT NULL REFERENCES informatization_objects(id),
    line_id   INTEGER NOT NULL REFERENCES budget_lines(id),
    PRIMARY KEY (object_id, line_id)
);
CREATE INDEX object_funding_line ON object_funding(line_id);

-- Content-addressed storage: one row per distinct file, keyed by its SHA-256 (hex).
CREATE TABLE document_contents (
    sha256  TEXT PRIMARY KEY CHECK (length(sha256) = 64),
    content BLOB NOT NULL
);

CREATE TABLE documents (
    id          INTEGER PRIMARY KEY,
    object_id   INTEGER NOT NULL REFERENCES informatization_objects(id),
    doc_type    TEXT NOT NULL,
    title       TEXT NOT NULL,
    number      TEXT,
    approved_on TEXT,
    version     TEXT NOT NULL,
    language    TEXT NOT NULL CHECK (language IN ('KK','RU','EN')),
    format      TEXT NOT NULL CHECK (format IN ('PDF_A_1','DOCX')),
    file_name   TEXT NOT NULL,
    size_bytes  INTEGER NOT NULL,
    sha256      TEXT NOT NULL REFERENCES document_contents(sha256)
);
CREATE INDEX documents_object ON documents(object_id);

CREATE TABLE access_applications (
    id                INTEGER PRIMARY KEY,
    organization_id   INTEGER NOT NULL REFERENCES organizations(id),
    submitted_by      INTEGER NOT NULL REFERENCES users(id),
    systems           TEXT NOT NULL,
    head_full_name    TEXT NOT NULL,
    executor_phone    TEXT NOT NULL,
    executor_email    TEXT NOT NULL,
    outgoing_number   TEXT,
    outgoing_date     TEXT,
    status            TEXT NOT NULL CHECK (status IN ('SUBMITTED','APPROVED','REJECTED','GRANTED')),
    received_at       TEXT NOT NULL,
    review_due        TEXT NOT NULL,
    reviewed_by       INTEGER REFERENCES users(id),
    reviewed_at       TEXT,
    review_comment    TEXT,
    grant_due         TEXT,
    granted_by        INTEGER REFERENCES users(id),
    granted_at        TEXT
);
CREATE INDEX access_applications_org ON access_applications(organization_id, status);

CREATE TABLE application_employees (
    id              INTEGER PRIMARY KEY,
    application_id  INTEGER NOT NULL REFERENCES access_applications(id),
    row_no          INTEGER NOT NULL,
    surname         TEXT NOT NULL,
    name            TEXT NOT NULL,
    patronymic      TEXT,
    iin             TEXT NOT NULL,
    position        TEXT NOT NULL,
    structural_unit TEXT NOT NULL,
    eqyzmet_qr      TEXT NOT NULL,
    phone           TEXT NOT NULL,
    email           TEXT NOT NULL,
    purpose         TEXT NOT NULL,
    UNIQUE (application_id, row_no)
);

CREATE TABLE access_grants (
    id             INTEGER PRIMARY KEY,
    user_id        INTEGER NOT NULL REFERENCES users(id),
    application_id INTEGER REFERENCES access_applications(id),
    system         TEXT NOT NULL CHECK (system IN ('ANALYTICS_CENTER','STATE_PLANNING')),
    valid_from     TEXT NOT NULL,
    valid_until    TEXT NOT NULL,
    status         TEXT NOT NULL CHECK (status IN ('ACTIVE','REVOKED')),
    granted_by     INTEGER REFERENCES users(id),
    granted_at     TEXT NOT NULL,
    revoked_at     TEXT
);
CREATE INDEX access_grants_user ON access_grants(user_id, system, valid_until);

CREATE TABLE training_records (
    id           INTEGER PRIMARY KEY,
    user_id      INTEGER NOT NULL REFERENCES users(id),
    completed_on TEXT NOT NULL,
    language     TEXT NOT NULL CHECK (language IN ('KK','RU')),
    recorded_by  INTEGER REFERENCES users(id),
    recorded_at  TEXT NOT NULL,
    report_due   TEXT NOT NULL,
    reported_at  TEXT
);
CREATE INDEX training_records_user ON training_records(user_id);

CREATE TABLE block_requests (
    id              INTEGER PRIMARY KEY,
    user_id         INTEGER NOT NULL REFERENCES users(id),
    organization_id INTEGER NOT NULL REFERENCES organizations(id),
    requested_by    INTEGER NOT NULL REFERENCES users(id),
    terminated_on   TEXT NOT NULL,
    reason          TEXT NOT NULL,
    requested_at    TEXT NOT NULL,
    due             TEXT NOT NULL,
    late            INTEGER NOT NULL DEFAULT 0,
    executed_by     INTEGER REFERENCES users(id),
    executed_at     TEXT
);
CREATE INDEX block_requests_user ON block_requests(user_id);

-- The working-day calendar as data: generated from the rules, overridable per date.
CREATE TABLE calendar_days (
    day        TEXT PRIMARY KEY,
    is_working INTEGER NOT NULL,
    kind       TEXT NOT NULL,
    note       TEXT,
    updated_by INTEGER REFERENCES users(id),
    updated_at TEXT
);

-- Append-only, hash-chained record of every request.
CREATE TABLE audit_events (
    seq             INTEGER PRIMARY KEY,
    at              TEXT NOT NULL,
    user_id         INTEGER,
    organization_id INTEGER,
    operation       TEXT,
    query_hash      TEXT,
    variables       TEXT,
    scope           TEXT,
    outcome         TEXT NOT NULL,
    rows_returned   INTEGER,
    duration_ms     INTEGER,
    client_addr     TEXT,
    prev_hash       TEXT NOT NULL,
    hash            TEXT NOT NULL
);
CREATE INDEX audit_events_user ON audit_events(user_id, at);
