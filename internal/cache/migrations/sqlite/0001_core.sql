-- Core tables: sync runs, sessions, pending logins, the project catalogue,
-- the audit trail and the outbox.

CREATE TABLE sync_runs (
	id          INTEGER PRIMARY KEY,
	upstream    TEXT    NOT NULL,
	started_ms  INTEGER NOT NULL,
	finished_ms INTEGER,             -- NULL while running
	rows        INTEGER NOT NULL DEFAULT 0,
	error       TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX sync_runs_by_upstream ON sync_runs(upstream, started_ms DESC);

CREATE TABLE sessions (
	token_hash  BLOB    PRIMARY KEY, -- SHA-256 of the cookie value; the value itself is never stored
	subject     TEXT    NOT NULL,
	user_json   TEXT    NOT NULL,    -- the portal.User built from the claims at login
	csrf_token  TEXT    NOT NULL,
	id_token    TEXT    NOT NULL DEFAULT '', -- for the provider's logout (id_token_hint)
	flash       TEXT    NOT NULL DEFAULT '',
	created_at  INTEGER NOT NULL,
	last_seen   INTEGER NOT NULL,
	expires_at  INTEGER NOT NULL     -- absolute end
);
CREATE INDEX sessions_by_expiry ON sessions(expires_at);

CREATE TABLE pending_logins (
	id_hash     BLOB    PRIMARY KEY,
	state       TEXT    NOT NULL,
	nonce       TEXT    NOT NULL,
	verifier    TEXT    NOT NULL,    -- PKCE code verifier
	return_to   TEXT    NOT NULL,
	created_at  INTEGER NOT NULL
);

CREATE TABLE login_failures (
	client      TEXT    NOT NULL,    -- the remote address
	at          INTEGER NOT NULL
);
CREATE INDEX login_failures_by_client ON login_failures(client, at);

CREATE TABLE projects (
	key         TEXT    PRIMARY KEY,
	name        TEXT    NOT NULL
);

CREATE TABLE virtual_labs (
	id          TEXT    PRIMARY KEY,
	name        TEXT    NOT NULL
);

-- Where each portal project lives upstream.
CREATE TABLE project_ids (
	upstream    TEXT    NOT NULL,
	upstream_id TEXT    NOT NULL,
	project_key TEXT    NOT NULL REFERENCES projects(key) ON DELETE CASCADE,
	vlab_id     TEXT    REFERENCES virtual_labs(id),
	PRIMARY KEY (upstream, upstream_id)
);
CREATE INDEX project_ids_by_key ON project_ids(project_key);

CREATE TABLE audit (
	id          INTEGER PRIMARY KEY,
	at_ms       INTEGER NOT NULL,
	actor       TEXT    NOT NULL,    -- a user's subject, or "system"
	actor_name  TEXT    NOT NULL DEFAULT '',
	subject     TEXT    NOT NULL,    -- what changed, as "<kind>:<id>"
	from_state  TEXT    NOT NULL DEFAULT '',
	to_state    TEXT    NOT NULL,
	reason      TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX audit_by_subject ON audit(subject, at_ms);

CREATE TABLE outbox (
	id              INTEGER PRIMARY KEY,
	kind            TEXT    NOT NULL,   -- e.g. "argo.metric", "obi.budget"
	upstream        TEXT    NOT NULL,
	ref             TEXT    NOT NULL DEFAULT '', -- the request it delivers, as "<kind>:<id>"
	summary         TEXT    NOT NULL,   -- one line for people
	payload         TEXT    NOT NULL,   -- JSON for the deliverer
	state           TEXT    NOT NULL CHECK (state IN ('queued','sending','verify','delivered','failed','uncertain','dead')),
	attempts        INTEGER NOT NULL DEFAULT 0,
	max_attempts    INTEGER NOT NULL,
	next_attempt_at INTEGER NOT NULL,
	last_error      TEXT    NOT NULL DEFAULT '',
	result          TEXT    NOT NULL DEFAULT '',
	created_by      TEXT    NOT NULL,
	created_at      INTEGER NOT NULL,
	updated_at      INTEGER NOT NULL
);
CREATE INDEX outbox_due ON outbox(state, next_attempt_at, id);
CREATE INDEX outbox_by_ref ON outbox(ref);

CREATE TABLE outbox_attempts (
	id          INTEGER PRIMARY KEY,
	outbox_id   INTEGER NOT NULL REFERENCES outbox(id) ON DELETE CASCADE,
	started_ms  INTEGER NOT NULL,
	finished_ms INTEGER,
	outcome     TEXT    NOT NULL DEFAULT '',
	error       TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX outbox_attempts_by_item ON outbox_attempts(outbox_id, id);
