-- Notifications: the people the portal knows (from their sign-ins), the
-- events that concern them, each person's copy of an event (read or not,
-- mailed or not), their preferences, the budget thresholds and which of
-- them fired, and what was already said about pending requests and
-- failing sources.

-- A person as their last sign-in described them: the e-mail claim is the
-- only address the portal has, and roles name the projects they manage or
-- belong to. Someone who never signed in is not here and gets no mail.
CREATE TABLE users (
	subject      TEXT    PRIMARY KEY, -- the OIDC "sub"
	name         TEXT    NOT NULL DEFAULT '',
	email        TEXT    NOT NULL DEFAULT '',
	admin        INTEGER NOT NULL DEFAULT 0,
	first_seen   INTEGER NOT NULL,
	last_sign_in INTEGER NOT NULL
);
CREATE INDEX users_admins ON users(admin) WHERE admin = 1;

CREATE TABLE user_projects (
	subject     TEXT NOT NULL REFERENCES users(subject) ON DELETE CASCADE,
	project_key TEXT NOT NULL,
	role        TEXT NOT NULL CHECK (role IN ('manager', 'member')),
	PRIMARY KEY (subject, project_key)
);
CREATE INDEX user_projects_by_project ON user_projects(project_key, role);

-- Something that happened, written in the transaction of the change.
CREATE TABLE notify_events (
	id          INTEGER PRIMARY KEY,
	kind        TEXT    NOT NULL,              -- notify.Kind*
	at          INTEGER NOT NULL,
	actor       TEXT    NOT NULL DEFAULT '',   -- who changed it: a subject or "system"
	actor_name  TEXT    NOT NULL DEFAULT '',
	subject     TEXT    NOT NULL DEFAULT '',   -- what it is about, as "<kind>:<id>"
	project_key TEXT    NOT NULL DEFAULT '',
	title       TEXT    NOT NULL,              -- one line
	body        TEXT    NOT NULL DEFAULT '',   -- a few lines of plain text
	link        TEXT    NOT NULL DEFAULT ''    -- a path of the portal
);
CREATE INDEX notify_events_by_subject ON notify_events(subject, kind);

-- One person's copy of an event. mail says what became of its e-mail:
-- pending (to be sent, now or in the digest), queued (in outbox item
-- outbox_id), sent, failed, uncertain (the server may or may not have
-- taken it), no-address (the person's sign-in carried no e-mail) or
-- unsent (no SMTP server configured).
CREATE TABLE notifications (
	id        INTEGER PRIMARY KEY,
	event_id  INTEGER NOT NULL REFERENCES notify_events(id) ON DELETE CASCADE,
	recipient TEXT    NOT NULL,
	mode      TEXT    NOT NULL CHECK (mode IN ('immediate', 'digest')),
	read_at   INTEGER NOT NULL DEFAULT 0,
	mail      TEXT    NOT NULL DEFAULT 'pending'
		CHECK (mail IN ('pending', 'queued', 'sent', 'failed', 'uncertain', 'no-address', 'unsent')),
	outbox_id INTEGER REFERENCES outbox(id),
	UNIQUE (event_id, recipient)
);
CREATE INDEX notifications_by_recipient ON notifications(recipient, read_at, id);
CREATE INDEX notifications_to_mail ON notifications(mail, recipient) WHERE mail = 'pending';
CREATE INDEX notifications_by_outbox ON notifications(outbox_id) WHERE outbox_id IS NOT NULL;

-- A person's choice per kind of event; no row: the kind's default.
CREATE TABLE notify_prefs (
	subject TEXT NOT NULL,
	kind    TEXT NOT NULL,
	mode    TEXT NOT NULL CHECK (mode IN ('immediate', 'digest', 'off')),
	PRIMARY KEY (subject, kind)
);

-- When each person was last mailed, so a burst becomes one message a
-- minute and the digest goes once a day.
CREATE TABLE notify_mailing (
	recipient      TEXT    PRIMARY KEY,
	last_immediate INTEGER NOT NULL DEFAULT 0,
	last_digest    INTEGER NOT NULL DEFAULT 0
);

-- Budget thresholds: project_key '' holds the site defaults, a project's
-- row the levels its managers added. Lists of integers, comma-separated.
CREATE TABLE notify_thresholds (
	project_key TEXT    PRIMARY KEY,
	percents    TEXT    NOT NULL,
	days        TEXT    NOT NULL,
	set_by      TEXT    NOT NULL DEFAULT '',
	set_by_name TEXT    NOT NULL DEFAULT '',
	set_at      INTEGER NOT NULL DEFAULT 0
);

-- A threshold that fired: once per budget and period, until the budget
-- is topped up above it (amount: the budget when it fired).
CREATE TABLE notify_fired (
	project_key TEXT    NOT NULL,
	budget      TEXT    NOT NULL,   -- "obi" or "ledger:<kind>"
	period      TEXT    NOT NULL,   -- "2026-03", "2026-Q1", "2026"
	metric      TEXT    NOT NULL CHECK (metric IN ('percent', 'days')),
	level       INTEGER NOT NULL,
	amount      TEXT    NOT NULL,
	fired_at    INTEGER NOT NULL,
	PRIMARY KEY (project_key, budget, period, metric, level)
);

-- The last reminder about each pending request.
CREATE TABLE notify_reminders (
	request_id  INTEGER PRIMARY KEY,
	reminded_at INTEGER NOT NULL
);

-- A source whose failure the admins were told about: since_ms is the
-- start of the first failed run after the last good one.
CREATE TABLE notify_source_alerts (
	upstream   TEXT    PRIMARY KEY,
	since_ms   INTEGER NOT NULL,
	alerted_at INTEGER NOT NULL
);
