-- Personal access tokens of the JSON API (/api/v1/), and the roles each
-- person had at their last sign-in, which their tokens act with: a token
-- carries no roles of its own, so roles taken away at the identity
-- provider are gone from the person's tokens after their next sign-in.
CREATE TABLE api_users (
    subject      TEXT PRIMARY KEY,
    user_json    TEXT NOT NULL,   -- portal.User as mapped from the claims
    signed_in_at INTEGER NOT NULL
);

CREATE TABLE api_tokens (
    id           INTEGER PRIMARY KEY,
    secret_hash  BLOB NOT NULL UNIQUE, -- SHA-256 of the secret; the secret itself is never stored
    hint         TEXT NOT NULL,        -- the secret's first characters, to tell tokens apart
    subject      TEXT NOT NULL,
    name         TEXT NOT NULL,
    scope        TEXT NOT NULL CHECK (scope IN ('read', 'read write')),
    created_at   INTEGER NOT NULL,
    created_by   TEXT NOT NULL,
    expires_at   INTEGER NOT NULL,
    last_used_at INTEGER NOT NULL DEFAULT 0,
    revoked_at   INTEGER NOT NULL DEFAULT 0,
    revoked_by   TEXT NOT NULL DEFAULT ''
);
CREATE INDEX api_tokens_by_subject ON api_tokens(subject, created_at);
