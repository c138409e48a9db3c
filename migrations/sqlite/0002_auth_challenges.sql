-- One-time nonces for certificate login: shared by every server instance, consumed atomically.
CREATE TABLE auth_challenges (
    nonce      TEXT PRIMARY KEY,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    used_at    TEXT
);
CREATE INDEX auth_challenges_expiry ON auth_challenges(expires_at);
