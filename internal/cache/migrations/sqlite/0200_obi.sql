-- OBI budgets: the balances of the catalogued virtual labs and projects
-- (the current reading and a snapshot at every sync, because the upstream
-- keeps no balance history), their job reports with costs, a daily spend
-- rollup for burn rates, discounts, the job-report sync cursor, and the
-- budget requests managers make and admins approve.
--
-- Money is exact decimal TEXT in credits (OBI names no unit). Times are
-- Unix seconds, UTC.

-- A virtual lab's own balance: the money not assigned to its projects.
CREATE TABLE obi_lab_balances (
	vlab_id     TEXT PRIMARY KEY,
	balance     TEXT NOT NULL
);

-- A project's balance (excluding reserved money) and its reservation.
CREATE TABLE obi_project_balances (
	proj_id     TEXT PRIMARY KEY,
	vlab_id     TEXT NOT NULL,
	balance     TEXT NOT NULL,
	reservation TEXT NOT NULL
);
CREATE INDEX obi_project_balances_by_lab ON obi_project_balances(vlab_id);

-- One row per account and sync: the history the upstream does not keep.
CREATE TABLE obi_balance_snapshots (
	account     TEXT    NOT NULL,  -- a virtual lab or project id
	at          INTEGER NOT NULL,
	kind        TEXT    NOT NULL CHECK (kind IN ('vlab', 'project')),
	balance     TEXT    NOT NULL,
	reservation TEXT    NOT NULL DEFAULT '0',
	PRIMARY KEY (account, at)
) WITHOUT ROWID;

-- Finished, fully charged jobs of the project reports. Reports only list
-- jobs whose charging is complete, so a stored job never changes.
CREATE TABLE obi_jobs (
	job_id            TEXT    PRIMARY KEY,
	proj_id           TEXT    NOT NULL,
	vlab_id           TEXT    NOT NULL,
	type              TEXT    NOT NULL,  -- oneshot, longrun, storage
	subtype           TEXT    NOT NULL,
	status            TEXT    NOT NULL,  -- finished, or expired (a longrun job the service cancelled after it went silent)
	name              TEXT    NOT NULL DEFAULT '',
	user_id           TEXT    NOT NULL DEFAULT '',
	reserved_at       INTEGER NOT NULL DEFAULT 0,
	started_at        INTEGER NOT NULL,
	finished_at       INTEGER NOT NULL,
	cancelled_at      INTEGER NOT NULL DEFAULT 0,
	amount            TEXT    NOT NULL,            -- credits taken from the project
	amount_nano       INTEGER NOT NULL,            -- amount in 1e-9 credits, rounded: a sort key only
	reserved_amount   TEXT    NOT NULL DEFAULT '', -- credits reserved; '' for storage (no reservation)
	reserved_nano     INTEGER NOT NULL DEFAULT 0,
	count             INTEGER NOT NULL DEFAULT 0,
	reserved_count    INTEGER NOT NULL DEFAULT 0,
	duration          INTEGER NOT NULL DEFAULT 0,  -- seconds
	reserved_duration INTEGER NOT NULL DEFAULT 0,
	size              INTEGER NOT NULL DEFAULT 0   -- storage bytes
);
CREATE INDEX obi_jobs_by_project_finished ON obi_jobs(proj_id, finished_at);

-- Spend per project, UTC day (of the jobs' end) and job type, summed
-- exactly at sync time, so burn rates never add up thousands of jobs.
CREATE TABLE obi_spend_daily (
	proj_id     TEXT    NOT NULL,
	day         INTEGER NOT NULL,  -- UTC midnight
	type        TEXT    NOT NULL,
	amount      TEXT    NOT NULL,
	jobs        INTEGER NOT NULL,
	PRIMARY KEY (proj_id, day, type)
) WITHOUT ROWID;

-- The same, all job types together: what burn rates add up. The index by
-- day serves an admin's overview, which reads every project's window.
CREATE TABLE obi_spend_total (
	proj_id     TEXT    NOT NULL,
	day         INTEGER NOT NULL,
	amount      TEXT    NOT NULL,
	PRIMARY KEY (proj_id, day)
) WITHOUT ROWID;
CREATE INDEX obi_spend_total_by_day ON obi_spend_total(day, proj_id, amount);

CREATE TABLE obi_discounts (
	vlab_id     TEXT    NOT NULL,
	id          INTEGER NOT NULL,
	discount    TEXT    NOT NULL,  -- a fraction: costs are multiplied by (1 - discount)
	valid_from  INTEGER NOT NULL,
	valid_to    INTEGER NOT NULL DEFAULT 0, -- 0: open-ended
	current     INTEGER NOT NULL DEFAULT 0, -- the one the service says is in force
	PRIMARY KEY (vlab_id, id)
);

-- How far each project's report has been read. watermark is the newest
-- started_at of the last walk that completed; an incremental walk may stop
-- only below it (minus a safety margin), so an interrupted walk never
-- leaves a gap.
CREATE TABLE obi_job_cursor (
	proj_id     TEXT    PRIMARY KEY,
	watermark   INTEGER NOT NULL,
	full_at     INTEGER NOT NULL   -- when the last complete walk of the whole report ended
);

-- Budget requests: a manager asks, an admin approves (queuing the upstream
-- call in the outbox in the same transaction) or denies.
CREATE TABLE budget_requests (
	id                INTEGER PRIMARY KEY,
	kind              TEXT    NOT NULL CHECK (kind IN ('top-up', 'assign', 'reverse', 'move')),
	vlab_id           TEXT    NOT NULL,
	proj_id           TEXT    NOT NULL DEFAULT '',  -- assign, reverse: the project; move: the debited one
	project_key       TEXT    NOT NULL DEFAULT '',
	to_proj_id        TEXT    NOT NULL DEFAULT '',  -- move: the credited project
	to_project_key    TEXT    NOT NULL DEFAULT '',
	amount            TEXT    NOT NULL,             -- credits, at most 2 decimals
	amount_cents      INTEGER NOT NULL,             -- the same, exactly, for sorting
	justification     TEXT    NOT NULL,
	state             TEXT    NOT NULL CHECK (state IN ('pending', 'approved', 'applied', 'failed', 'needs-reconciliation', 'denied', 'cancelled')),
	requested_by      TEXT    NOT NULL,
	requested_by_name TEXT    NOT NULL DEFAULT '',
	created_at        INTEGER NOT NULL,
	updated_at        INTEGER NOT NULL,
	decided_by        TEXT    NOT NULL DEFAULT '',
	decided_by_name   TEXT    NOT NULL DEFAULT '',
	decided_at        INTEGER NOT NULL DEFAULT 0,
	deny_reason       TEXT    NOT NULL DEFAULT '',
	outbox_id         INTEGER REFERENCES outbox(id),
	upstream_error    TEXT    NOT NULL DEFAULT '',
	delivery          TEXT    NOT NULL DEFAULT '',  -- JSON: balances read before (and after) the upstream call
	settled_by        TEXT    NOT NULL DEFAULT '',
	settled_by_name   TEXT    NOT NULL DEFAULT '',
	settled_at        INTEGER NOT NULL DEFAULT 0,
	settle_reason     TEXT    NOT NULL DEFAULT '',
	notified          TEXT    NOT NULL DEFAULT ''   -- the last state the requester has been told about
);
CREATE INDEX budget_requests_by_state ON budget_requests(state, created_at);
CREATE INDEX budget_requests_by_requester ON budget_requests(requested_by, created_at);
CREATE UNIQUE INDEX budget_requests_by_outbox ON budget_requests(outbox_id) WHERE outbox_id IS NOT NULL;
