-- Bearer tokens revoked before their expiry (logout). Every server refuses them from the next
-- request: a revocation bumps the caller epoch, as a block does.
CREATE TABLE revoked_tokens (
    jti        TEXT PRIMARY KEY,
    user_id    INTEGER REFERENCES users(id),
    expires_at TEXT NOT NULL,
    revoked_at TEXT NOT NULL
);
CREATE INDEX revoked_tokens_expiry ON revoked_tokens(expires_at);
CREATE TRIGGER revoked_tokens_insert_callers_changed AFTER INSERT ON revoked_tokens
BEGIN
    UPDATE change_epochs SET epoch = epoch + 1 WHERE topic = 'callers';
END;
CREATE TRIGGER revoked_tokens_delete_callers_changed AFTER DELETE ON revoked_tokens
BEGIN
    UPDATE change_epochs SET epoch = epoch + 1 WHERE topic = 'callers';
END;
