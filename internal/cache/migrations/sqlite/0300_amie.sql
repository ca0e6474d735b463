-- ACCESS AMIE usage: the processing status per resource and UTC day, the
-- records that failed processing, the usage files people uploaded (with
-- their records and the requests they were split into), and the requests
-- to clear failed records.

-- One row per resource and UTC day: what the upstream's usage/status says
-- for that day's processing window. A day with no row had no records.
CREATE TABLE amie_status_days (
	day          INTEGER NOT NULL,  -- Unix seconds of 00:00 UTC
	resource     TEXT    NOT NULL,
	loaded       INTEGER NOT NULL,
	failed       INTEGER NOT NULL,  -- failures not yet cleared
	total_charge TEXT    NOT NULL,  -- exact decimal: sum of the loaded records' charges
	charge_micro INTEGER,           -- total_charge in millionths when that is exact (for fast sums), else NULL
	changed_ms   INTEGER NOT NULL,  -- when a sync last changed this row
	PRIMARY KEY (day, resource)
) WITHOUT ROWID;
CREATE INDEX amie_status_days_by_resource ON amie_status_days(resource, day);

-- What the sync has read so far: when the last whole-window read started,
-- and when someone asked for one (clearing failed records changes the
-- counts of past days).
CREATE TABLE amie_sync_state (
	id                INTEGER PRIMARY KEY CHECK (id = 1),
	last_full_ms      INTEGER NOT NULL DEFAULT 0,
	last_run_ms       INTEGER NOT NULL DEFAULT 0,
	full_requested_ms INTEGER NOT NULL DEFAULT 0
);
INSERT INTO amie_sync_state(id) VALUES (1);

-- The resources the upstream has reported, so uploads can be checked.
CREATE TABLE amie_resources (
	name       TEXT    PRIMARY KEY,
	last_seen  INTEGER NOT NULL
) WITHOUT ROWID;

-- The records that failed processing and are not cleared: the upstream's
-- whole list, replaced on every sync.
CREATE TABLE amie_failed (
	id               INTEGER PRIMARY KEY,
	failed_id        INTEGER NOT NULL,   -- the upstream's FailedRecordID (0: none given)
	usage_type       TEXT    NOT NULL,   -- Compute, Storage, Adjustment
	error            TEXT    NOT NULL,
	resource         TEXT    NOT NULL,
	local_project_id TEXT    NOT NULL,
	local_record_id  TEXT    NOT NULL,
	username         TEXT    NOT NULL,
	start_time       INTEGER NOT NULL,   -- StartTime, or CollectionTime for storage
	end_time         INTEGER NOT NULL,   -- EndTime (compute), else 0
	charge           TEXT    NOT NULL,
	local_reference  TEXT    NOT NULL DEFAULT '',
	problems         TEXT    NOT NULL DEFAULT '', -- fields the portal could not read
	raw              TEXT    NOT NULL,   -- the record as the upstream sent it
	digest           INTEGER NOT NULL    -- hash of the row, to skip rewriting unchanged records
);
CREATE UNIQUE INDEX amie_failed_by_failed_id ON amie_failed(failed_id) WHERE failed_id > 0;
CREATE INDEX amie_failed_by_error ON amie_failed(error, failed_id);
CREATE INDEX amie_failed_by_project ON amie_failed(local_project_id, error, failed_id);
CREATE INDEX amie_failed_by_record ON amie_failed(resource, local_record_id, failed_id);

-- A CSV file of usage records someone uploaded, sent as one usage message
-- split into requests (usage_upload_chunks), each an outbox item.
CREATE TABLE usage_uploads (
	id               INTEGER PRIMARY KEY,
	usage_type       TEXT    NOT NULL CHECK (usage_type IN ('Compute','Storage','Adjustment')),
	filename         TEXT    NOT NULL,
	records          INTEGER NOT NULL DEFAULT 0,
	total_charge     TEXT    NOT NULL DEFAULT '0',
	projects         TEXT    NOT NULL DEFAULT '',  -- LocalProjectIDs, comma-separated
	chunks           INTEGER NOT NULL DEFAULT 0,
	chunks_delivered INTEGER NOT NULL DEFAULT 0,
	accepted         INTEGER NOT NULL DEFAULT 0,
	refused          INTEGER NOT NULL DEFAULT 0,
	not_sent         INTEGER NOT NULL DEFAULT 0,
	state            TEXT    NOT NULL,
	created_by       TEXT    NOT NULL,
	created_by_name  TEXT    NOT NULL DEFAULT '',
	created_at       INTEGER NOT NULL,
	updated_at       INTEGER NOT NULL
);
CREATE INDEX usage_uploads_by_creator ON usage_uploads(created_by, id);

-- The records of an upload, in file order; seq is the record's position.
CREATE TABLE usage_upload_records (
	upload_id        INTEGER NOT NULL REFERENCES usage_uploads(id) ON DELETE CASCADE,
	seq              INTEGER NOT NULL,
	line             INTEGER NOT NULL,
	chunk            INTEGER NOT NULL,
	local_record_id  TEXT    NOT NULL,
	resource         TEXT    NOT NULL,
	local_project_id TEXT    NOT NULL,
	username         TEXT    NOT NULL,
	start_time       INTEGER NOT NULL,  -- StartTime, or CollectionTime for storage
	end_time         INTEGER NOT NULL,  -- EndTime (compute), else 0
	charge           TEXT    NOT NULL,
	outcome          TEXT    NOT NULL DEFAULT 'pending', -- pending, accepted, refused, sent, not sent
	error            TEXT    NOT NULL DEFAULT '',
	PRIMARY KEY (upload_id, seq)
) WITHOUT ROWID;
CREATE INDEX usage_upload_records_by_outcome ON usage_upload_records(upload_id, outcome, seq);

-- The planned requests of an upload: exactly the bytes sent, so a request
-- sent again after an unanswered attempt is the same request.
CREATE TABLE usage_upload_chunks (
	upload_id  INTEGER NOT NULL REFERENCES usage_uploads(id) ON DELETE CASCADE,
	chunk      INTEGER NOT NULL,
	first_seq  INTEGER NOT NULL,
	count      INTEGER NOT NULL,
	outbox_id  INTEGER NOT NULL,
	body       BLOB    NOT NULL,
	PRIMARY KEY (upload_id, chunk)
) WITHOUT ROWID;

-- A request to clear failed records (admin), delivered by the outbox.
CREATE TABLE usage_clears (
	id              INTEGER PRIMARY KEY,
	failed_ids      TEXT    NOT NULL,   -- comma-separated FailedRecordIDs
	count           INTEGER NOT NULL,
	summary         TEXT    NOT NULL,
	state           TEXT    NOT NULL,
	result          TEXT    NOT NULL DEFAULT '',
	created_by      TEXT    NOT NULL,
	created_by_name TEXT    NOT NULL DEFAULT '',
	created_at      INTEGER NOT NULL,
	updated_at      INTEGER NOT NULL
);
