-- ARGO Accounting: the synced entities and metrics, the sync's own state,
-- and metric pushes (metrics a manager adds, delivered through the outbox).
--
-- Every synced row carries seen_gen, the number of the sync run that last
-- read it from ARGO. A run that read everything removes the rows an older
-- run saw and it did not: that is how entities deleted upstream leave the
-- cache, and only ever after a complete, successful read.

CREATE TABLE argo_sync_state (
	id          INTEGER PRIMARY KEY CHECK (id = 1),
	generation  INTEGER NOT NULL DEFAULT 0, -- the number of the newest run
	last_full   INTEGER NOT NULL DEFAULT 0  -- when a run last re-read every metric successfully
);
INSERT INTO argo_sync_state(id) VALUES (1);

CREATE TABLE argo_projects (
	id              TEXT    PRIMARY KEY,        -- ARGO project id (e.g. an OpenAIRE grant code)
	acronym         TEXT    NOT NULL DEFAULT '',
	title           TEXT    NOT NULL DEFAULT '',
	start_date      TEXT    NOT NULL DEFAULT '', -- YYYY-MM-DD as sent
	end_date        TEXT    NOT NULL DEFAULT '',
	call_identifier TEXT    NOT NULL DEFAULT '',
	seen_gen        INTEGER NOT NULL
);

CREATE TABLE argo_providers (
	id           TEXT    PRIMARY KEY,
	name         TEXT    NOT NULL DEFAULT '',
	website      TEXT    NOT NULL DEFAULT '',
	abbreviation TEXT    NOT NULL DEFAULT '',
	logo         TEXT    NOT NULL DEFAULT '',
	external_id  TEXT    NOT NULL DEFAULT '',
	seen_gen     INTEGER NOT NULL
);

CREATE TABLE argo_metric_definitions (
	id          TEXT    PRIMARY KEY,
	name        TEXT    NOT NULL,
	description TEXT    NOT NULL DEFAULT '',
	unit_type   TEXT    NOT NULL DEFAULT '', -- a unit symbol: "TB", "#", "CPU Time"
	metric_type TEXT    NOT NULL DEFAULT '', -- aggregated, count, summarised, averaged, ...
	seen_gen    INTEGER NOT NULL
);

CREATE TABLE argo_installations (
	id             TEXT    PRIMARY KEY,
	project_id     TEXT    NOT NULL REFERENCES argo_projects(id) ON DELETE CASCADE,
	provider_id    TEXT    NOT NULL REFERENCES argo_providers(id) ON DELETE CASCADE,
	infrastructure TEXT    NOT NULL DEFAULT '',
	installation   TEXT    NOT NULL DEFAULT '',  -- its name
	resource       TEXT    NOT NULL DEFAULT '',
	external_id    TEXT    NOT NULL DEFAULT '',
	unit_of_access TEXT    NOT NULL DEFAULT '',  -- a metric definition id, '' for none
	seen_gen       INTEGER NOT NULL
);
CREATE INDEX argo_installations_by_project ON argo_installations(project_id, provider_id);
CREATE INDEX argo_installations_by_provider ON argo_installations(provider_id);

-- Per project, the start of the newest metric a successful sync read: the
-- next run re-reads from a few days before it (late metrics), not all.
CREATE TABLE argo_project_windows (
	project_id TEXT    PRIMARY KEY REFERENCES argo_projects(id) ON DELETE CASCADE,
	newest     INTEGER NOT NULL
);

-- project_id and provider_id are the installation's, copied so that the
-- pages scope, filter and group metrics without a join.
CREATE TABLE argo_metrics (
	id              TEXT    PRIMARY KEY,
	installation_id TEXT    NOT NULL REFERENCES argo_installations(id) ON DELETE CASCADE,
	project_id      TEXT    NOT NULL,
	provider_id     TEXT    NOT NULL,
	definition_id   TEXT    NOT NULL REFERENCES argo_metric_definitions(id) ON DELETE CASCADE,
	start           INTEGER NOT NULL,           -- time_period_start, Unix seconds
	end             INTEGER NOT NULL,           -- time_period_end
	value           REAL    NOT NULL,
	group_id        TEXT    NOT NULL DEFAULT '',
	user_id         TEXT    NOT NULL DEFAULT '',
	seen_gen        INTEGER                     -- NULL: written on delivery of a push, not read back by a sync yet
);
-- Serves the overview and definitions pages: scoped by project, ranged by
-- start, and covering every column they aggregate (no table look-ups).
CREATE INDEX argo_metrics_by_project ON argo_metrics(project_id, start, definition_id, provider_id, installation_id, value);
-- Serves the installation pages, the duplicate check of pushes and the
-- cascade from installations.
CREATE INDEX argo_metrics_by_installation ON argo_metrics(installation_id, start, definition_id);

-- Weekly and monthly totals per installation and metric definition, kept
-- so that the overview and its charts add up a few rows per installation
-- instead of every metric (daily totals are computed from argo_metrics).
-- A successful sync refreshes the periods it read, in the transaction that
-- ends it; a delivered push refreshes its own.
CREATE TABLE argo_metric_rollups (
	granularity     TEXT    NOT NULL CHECK (granularity IN ('week', 'month')),
	installation_id TEXT    NOT NULL REFERENCES argo_installations(id) ON DELETE CASCADE,
	definition_id   TEXT    NOT NULL REFERENCES argo_metric_definitions(id) ON DELETE CASCADE,
	period          INTEGER NOT NULL,  -- start of the week (Monday) or month, Unix seconds
	project_id      TEXT    NOT NULL,
	provider_id     TEXT    NOT NULL,
	s               REAL    NOT NULL,  -- the sum of the values
	n               INTEGER NOT NULL,  -- the number of metrics
	PRIMARY KEY (granularity, installation_id, definition_id, period)
) WITHOUT ROWID;
CREATE INDEX argo_metric_rollups_by_period ON argo_metric_rollups(granularity, period, project_id, provider_id, definition_id, installation_id, s, n);
CREATE INDEX argo_metric_rollups_by_project ON argo_metric_rollups(granularity, project_id, period, provider_id, definition_id, installation_id, s, n);

-- A metric a manager adds to an installation. The push row is written with
-- its outbox item in one transaction; the outbox's settler keeps state,
-- error and metric_id in step with delivery. The installation's names are
-- copied so the history stays readable if the installation goes.
CREATE TABLE metric_pushes (
	id                INTEGER PRIMARY KEY,
	installation_id   TEXT    NOT NULL,
	installation_name TEXT    NOT NULL,
	project_id        TEXT    NOT NULL,  -- ARGO project id, for scoping
	provider_id       TEXT    NOT NULL,
	definition_id     TEXT    NOT NULL,
	definition_name   TEXT    NOT NULL,
	unit_type         TEXT    NOT NULL,
	metric_type       TEXT    NOT NULL,
	start             INTEGER NOT NULL,
	end               INTEGER NOT NULL,
	value             REAL    NOT NULL,
	value_text        TEXT    NOT NULL,  -- as entered
	group_id          TEXT    NOT NULL DEFAULT '',
	user_id           TEXT    NOT NULL DEFAULT '',
	state             TEXT    NOT NULL CHECK (state IN ('queued','sending','verify','delivered','failed','uncertain','dead')),
	metric_id         TEXT    NOT NULL DEFAULT '', -- ARGO's id once delivered
	error             TEXT    NOT NULL DEFAULT '',
	outbox_id         INTEGER REFERENCES outbox(id),
	created_by        TEXT    NOT NULL,
	created_by_name   TEXT    NOT NULL DEFAULT '',
	created_at        INTEGER NOT NULL,
	updated_at        INTEGER NOT NULL
);
CREATE INDEX metric_pushes_by_creator ON metric_pushes(created_by, id);
CREATE INDEX metric_pushes_by_period ON metric_pushes(installation_id, definition_id, start, end);
