-- The access policy in force is data every server process shares: `audit-hub policy publish`
-- appends a checked revision here, and the newest one governs every process (until the first
-- publication, each process uses the policy it started with). A new revision bumps the
-- 'callers' epoch in the publishing transaction, and every request reads that epoch.
CREATE TABLE policy_revisions (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    model        TEXT NOT NULL,
    rules        TEXT NOT NULL,
    sha256       TEXT NOT NULL,
    source       TEXT NOT NULL,
    note         TEXT,
    published_at TEXT NOT NULL
);

CREATE TRIGGER policy_revisions_insert_callers_changed AFTER INSERT ON policy_revisions
BEGIN
    UPDATE change_epochs SET epoch = epoch + 1 WHERE topic = 'callers';
END;
CREATE TRIGGER policy_revisions_update_callers_changed AFTER UPDATE ON policy_revisions
BEGIN
    UPDATE change_epochs SET epoch = epoch + 1 WHERE topic = 'callers';
END;
CREATE TRIGGER policy_revisions_delete_callers_changed AFTER DELETE ON policy_revisions
BEGIN
    UPDATE change_epochs SET epoch = epoch + 1 WHERE topic = 'callers';
END;
