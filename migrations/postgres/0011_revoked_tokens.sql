-- Bearer tokens revoked before their expiry (logout). Every server refuses them from the next
-- request: a revocation bumps the caller epoch, as a block does, and notifies the others.
CREATE TABLE revoked_tokens (
    jti        TEXT PRIMARY KEY,
    user_id    BIGINT REFERENCES users(id),
    expires_at TIMESTAMPTZ NOT NULL,
    revoked_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX revoked_tokens_expiry ON revoked_tokens(expires_at);
CREATE TRIGGER revoked_tokens_callers_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON revoked_tokens
    FOR EACH STATEMENT EXECUTE FUNCTION audit_hub_callers_changed();
