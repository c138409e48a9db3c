-- The access policy in force is data every server process shares: `audit-hub policy publish`
-- appends a checked revision here, and the newest one governs every process (until the first
-- publication, each process uses the policy it started with). A new revision bumps the
-- 'callers' epoch in the publishing transaction, so every process learns of it the way it learns
-- of a block: by notification on commit, or by its periodic re-read of the epoch.
CREATE TABLE policy_revisions (
    id           BIGSERIAL PRIMARY KEY,
    model        TEXT NOT NULL,
    rules        TEXT NOT NULL,
    sha256       TEXT NOT NULL,
    source       TEXT NOT NULL,
    note         TEXT,
    published_at TIMESTAMPTZ NOT NULL
);

CREATE TRIGGER policy_revisions_callers_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON policy_revisions
    FOR EACH STATEMENT EXECUTE FUNCTION audit_hub_callers_changed();
