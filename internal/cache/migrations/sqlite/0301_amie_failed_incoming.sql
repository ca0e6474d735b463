-- The failed records of a sync still reading the upstream's list (GET
-- usage/failed, a single answer of tens of megabytes at a large site):
-- the records new or changed since the cached list, kept here batch by
-- batch as the answer arrives, so that the sync never holds the list
-- whole, and moved into amie_failed by the one transaction that ends a
-- complete read. A read that fails leaves amie_failed as it was; this
-- table is emptied then, and again when the next sync starts.
CREATE TABLE amie_failed_incoming (
	seq              INTEGER PRIMARY KEY, -- order in the upstream's list
	fresh            INTEGER NOT NULL,    -- 1: a FailedRecordID the cache did not have
	failed_id        INTEGER NOT NULL,
	usage_type       TEXT    NOT NULL,
	error            TEXT    NOT NULL,
	resource         TEXT    NOT NULL,
	local_project_id TEXT    NOT NULL,
	local_record_id  TEXT    NOT NULL,
	username         TEXT    NOT NULL,
	start_time       INTEGER NOT NULL,
	end_time         INTEGER NOT NULL,
	charge           TEXT    NOT NULL,
	local_reference  TEXT    NOT NULL,
	problems         TEXT    NOT NULL,
	raw              TEXT    NOT NULL,
	digest           INTEGER NOT NULL
);
