-- no-transaction
-- (SQLite changes a CHECK constraint only by rebuilding the table, which needs foreign keys off,
-- and that pragma has no effect inside a transaction: so this migration opens its own. sqlx
-- records it as applied only after this COMMIT: should the process die in between, the schema is
-- complete but unrecorded, and `migrate` stops at `CREATE TABLE memberships`; record version 10
-- in _sqlx_migrations by hand then.)
PRAGMA foreign_keys = OFF;
BEGIN IMMEDIATE;

-- Identity as history (issue: membership, heads, transfers, reinstatement, leavers).
--
-- A person's belonging to a body is a membership with a start and an end; at most one is current.
-- `users.organization_id`, `position` and `structural_unit` mirror the newest membership (the
-- current one, or the last one of a blocked person), so resolving a caller stays one row.
CREATE TABLE memberships (
    id              INTEGER PRIMARY KEY,
    user_id         INTEGER NOT NULL REFERENCES users(id),
    organization_id INTEGER NOT NULL REFERENCES organizations(id),
    position        TEXT NOT NULL,
    structural_unit TEXT NOT NULL,
    started_on      TEXT NOT NULL,
    ended_on        TEXT,
    end_reason      TEXT CHECK (end_reason IS NULL OR end_reason IN ('BLOCKED','TRANSFERRED','RETURNED','REASSIGNED')),
    application_id  INTEGER REFERENCES access_applications(id),
    CHECK (ended_on IS NULL OR ended_on >= started_on),
    CHECK ((ended_on IS NULL) = (end_reason IS NULL))
);
CREATE UNIQUE INDEX memberships_one_current ON memberships(user_id) WHERE ended_on IS NULL;
CREATE INDEX memberships_user ON memberships(user_id, started_on);
CREATE INDEX memberships_organization ON memberships(organization_id);

-- The day in Asia/Almaty: UTC+6 until 1 March 2024 (local midnight), UTC+5 since.
INSERT INTO memberships (user_id, organization_id, position, structural_unit, started_on, ended_on, end_reason)
SELECT id, organization_id, position, structural_unit,
       date(created_at, CASE WHEN julianday(created_at) < julianday('2024-02-29 18:00:00') THEN '+6 hours' ELSE '+5 hours' END),
       CASE WHEN status = 'BLOCKED' THEN max(
           date(created_at, CASE WHEN julianday(created_at) < julianday('2024-02-29 18:00:00') THEN '+6 hours' ELSE '+5 hours' END),
           date(COALESCE(blocked_at, created_at), CASE WHEN julianday(COALESCE(blocked_at, created_at)) < julianday('2024-02-29 18:00:00') THEN '+6 hours' ELSE '+5 hours' END)) END,
       CASE WHEN status = 'BLOCKED' THEN 'BLOCKED' END
FROM users;

-- Heads are designated, never claimed: a blocked person heads nothing, and a body has one head
-- (where earlier data has several, the first registered keeps the flag; designateHead corrects it).
UPDATE users SET is_head = 0 WHERE is_head AND status = 'BLOCKED';
UPDATE users SET is_head = 0
WHERE is_head AND id NOT IN (SELECT MIN(id) FROM users WHERE is_head GROUP BY organization_id);
CREATE UNIQUE INDEX users_one_head ON users(organization_id) WHERE is_head;

-- An application the integrator cannot grant is refused (a terminal state), and one received on
-- paper or through the document system is registered by the authorized body with its incoming
-- number and receipt date.
CREATE TABLE access_applications_new (
    id                INTEGER PRIMARY KEY,
    organization_id   INTEGER NOT NULL REFERENCES organizations(id),
    submitted_by      INTEGER NOT NULL REFERENCES users(id),
    systems           TEXT NOT NULL,
    head_full_name    TEXT NOT NULL,
    executor_phone    TEXT NOT NULL,
    executor_email    TEXT NOT NULL,
    outgoing_number   TEXT,
    outgoing_date     TEXT,
    status            TEXT NOT NULL CHECK (status IN ('SUBMITTED','APPROVED','REJECTED','GRANTED','REFUSED')),
    received_at       TEXT NOT NULL,
    review_due        TEXT NOT NULL,
    reviewed_by       INTEGER REFERENCES users(id),
    reviewed_at       TEXT,
    review_comment    TEXT,
    grant_due         TEXT,
    granted_by        INTEGER REFERENCES users(id),
    granted_at        TEXT,
    channel           TEXT NOT NULL DEFAULT 'DIRECT' CHECK (channel IN ('DIRECT','DOCUMENT_SYSTEM')),
    incoming_number   TEXT,
    refused_by        INTEGER REFERENCES users(id),
    refused_at        TEXT,
    refusal_reason    TEXT
);
INSERT INTO access_applications_new (id, organization_id, submitted_by, systems, head_full_name,
    executor_phone, executor_email, outgoing_number, outgoing_date, status, received_at, review_due,
    reviewed_by, reviewed_at, review_comment, grant_due, granted_by, granted_at)
SELECT id, organization_id, submitted_by, systems, head_full_name, executor_phone, executor_email,
    outgoing_number, outgoing_date, status, received_at, review_due, reviewed_by, reviewed_at,
    review_comment, grant_due, granted_by, granted_at
FROM access_applications;
DROP TABLE access_applications;
ALTER TABLE access_applications_new RENAME TO access_applications;
CREATE INDEX access_applications_org ON access_applications(organization_id, status);

-- What became of each employee of a decided application, and the person it concerned.
ALTER TABLE application_employees ADD COLUMN outcome TEXT
    CHECK (outcome IS NULL OR outcome IN ('GRANTED','REFUSED'));
ALTER TABLE application_employees ADD COLUMN refusal TEXT;
ALTER TABLE application_employees ADD COLUMN user_id INTEGER REFERENCES users(id);
UPDATE application_employees SET outcome = 'GRANTED',
    user_id = (SELECT u.id FROM users u WHERE u.iin = application_employees.iin)
WHERE application_id IN (SELECT id FROM access_applications WHERE status = 'GRANTED');

-- A block request suspends its person from the termination date, and a membership decides the
-- caller's body: both are part of what a server caches about a caller.
CREATE TRIGGER block_requests_insert_callers_changed AFTER INSERT ON block_requests
BEGIN
    UPDATE change_epochs SET epoch = epoch + 1 WHERE topic = 'callers';
END;
CREATE TRIGGER block_requests_update_callers_changed AFTER UPDATE ON block_requests
BEGIN
    UPDATE change_epochs SET epoch = epoch + 1 WHERE topic = 'callers';
END;
CREATE TRIGGER block_requests_delete_callers_changed AFTER DELETE ON block_requests
BEGIN
    UPDATE change_epochs SET epoch = epoch + 1 WHERE topic = 'callers';
END;
CREATE TRIGGER memberships_insert_callers_changed AFTER INSERT ON memberships
BEGIN
    UPDATE change_epochs SET epoch = epoch + 1 WHERE topic = 'callers';
END;
CREATE TRIGGER memberships_update_callers_changed AFTER UPDATE ON memberships
BEGIN
    UPDATE change_epochs SET epoch = epoch + 1 WHERE topic = 'callers';
END;
CREATE TRIGGER memberships_delete_callers_changed AFTER DELETE ON memberships
BEGIN
    UPDATE change_epochs SET epoch = epoch + 1 WHERE topic = 'callers';
END;
CREATE INDEX block_requests_pending ON block_requests(user_id) WHERE executed_at IS NULL;

-- Calendar overrides are transfers of days off, each with its legal basis.
UPDATE calendar_days SET kind = 'TRANSFER' WHERE kind = 'OVERRIDE';
-- Friday 3 January 2025 was a day off and Sunday 5 January a working day.
INSERT INTO calendar_days (day, is_working, kind, note) VALUES
    ('2025-01-03', 0, 'TRANSFER', 'Қазақстан Республикасы Еңбек және халықты әлеуметтік қорғау министрінің 2024 жылғы 21 қарашадағы бұйрығы / Приказ Министра труда и социальной защиты населения Республики Казахстан от 21 ноября 2024 года: 3 қаңтар → 5 қаңтар / перенос выходного с 3 на 5 января'),
    ('2025-01-05', 1, 'TRANSFER', 'Қазақстан Республикасы Еңбек және халықты әлеуметтік қорғау министрінің 2024 жылғы 21 қарашадағы бұйрығы / Приказ Министра труда и социальной защиты населения Республики Казахстан от 21 ноября 2024 года: 3 қаңтар → 5 қаңтар / перенос выходного с 3 на 5 января')
ON CONFLICT (day) DO NOTHING;

COMMIT;
PRAGMA foreign_keys = ON;
