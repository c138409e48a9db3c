-- One-time nonces for certificate login: shared by every server instance, consumed atomically.
CREATE TABLE auth_challenges (
    nonce      TEXT PRIMARY KEY,
    created_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL,
    used_at    TIMESTAMPTZ
);
CREATE INDEX auth_challenges_expiry ON auth_challenges(expires_at);
