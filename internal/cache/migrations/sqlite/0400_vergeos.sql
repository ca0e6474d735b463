-- VergeOS billing: the system-wide billing records synced from VergeOS, and
-- the admins' requests to generate a record now (delivered through the outbox).
--
-- Every upstream field is kept in its wire unit (API.md §4): Unix seconds,
-- MB for the *_ram fields, bytes for phys_*_used and the tiers, percent for
-- phys_total_cpu. Conversions to GiB/TiB happen only in views and CSV.

CREATE TABLE vergeos_billing (
	record_key          TEXT    PRIMARY KEY,  -- VergeOS $key (a number on billing, kept as text)
	created             INTEGER NOT NULL,     -- when VergeOS wrote the record
	period_from         INTEGER NOT NULL,     -- "from": start of the billed period
	period_to           INTEGER NOT NULL,     -- "to": end of the billed period
	sent                INTEGER NOT NULL DEFAULT 0, -- when reported; 0 = not reported (absent or 0 upstream)
	description         TEXT    NOT NULL DEFAULT '',
	used_cores          INTEGER NOT NULL DEFAULT 0,
	total_cores         INTEGER NOT NULL DEFAULT 0,
	online_cores        INTEGER NOT NULL DEFAULT 0,
	total_nodes         INTEGER NOT NULL DEFAULT 0,
	online_nodes        INTEGER NOT NULL DEFAULT 0,
	running_machines    INTEGER NOT NULL DEFAULT 0,
	used_ram            INTEGER NOT NULL DEFAULT 0,  -- MB
	total_ram           INTEGER NOT NULL DEFAULT 0,  -- MB
	online_ram          INTEGER NOT NULL DEFAULT 0,  -- MB
	phys_ram_used       INTEGER NOT NULL DEFAULT 0,  -- bytes
	phys_vram_used      INTEGER NOT NULL DEFAULT 0,  -- bytes
	phys_total_cpu      INTEGER NOT NULL DEFAULT 0,  -- percent
	tier_0_used         INTEGER NOT NULL DEFAULT 0,  -- bytes (all tiers)
	tier_0_total        INTEGER NOT NULL DEFAULT 0,
	tier_1_used         INTEGER NOT NULL DEFAULT 0,
	tier_1_total        INTEGER NOT NULL DEFAULT 0,
	tier_2_used         INTEGER NOT NULL DEFAULT 0,
	tier_2_total        INTEGER NOT NULL DEFAULT 0,
	tier_3_used         INTEGER NOT NULL DEFAULT 0,
	tier_3_total        INTEGER NOT NULL DEFAULT 0,
	tier_4_used         INTEGER NOT NULL DEFAULT 0,
	tier_4_total        INTEGER NOT NULL DEFAULT 0,
	tier_5_used         INTEGER NOT NULL DEFAULT 0,
	tier_5_total        INTEGER NOT NULL DEFAULT 0,
	gpus_total          INTEGER NOT NULL DEFAULT 0,
	gpus                INTEGER NOT NULL DEFAULT 0,  -- in use
	gpus_idle           INTEGER NOT NULL DEFAULT 0,
	vgpus_total         INTEGER NOT NULL DEFAULT 0,
	vgpus               INTEGER NOT NULL DEFAULT 0,  -- in use
	vgpus_idle          INTEGER NOT NULL DEFAULT 0,
	workload_datapoints INTEGER NOT NULL DEFAULT 0,
	storage_datapoints  INTEGER NOT NULL DEFAULT 0,
	synced_at           INTEGER NOT NULL,            -- when the portal last wrote this row (provenance)
	-- Derived per record once, when written, exactly as the VergeOS SDKs
	-- derive them (float64(part)/float64(whole)*100, 0 without a whole), so
	-- that summaries over years of records only add and compare numbers.
	storage_used        INTEGER GENERATED ALWAYS AS (tier_0_used + tier_1_used + tier_2_used + tier_3_used + tier_4_used + tier_5_used) STORED,
	storage_total       INTEGER GENERATED ALWAYS AS (tier_0_total + tier_1_total + tier_2_total + tier_3_total + tier_4_total + tier_5_total) STORED,
	cpu_pct             REAL GENERATED ALWAYS AS (CASE WHEN total_cores = 0 THEN 0.0 ELSE CAST(used_cores AS REAL) / total_cores * 100 END) STORED,
	ram_pct             REAL GENERATED ALWAYS AS (CASE WHEN total_ram = 0 THEN 0.0 ELSE CAST(used_ram AS REAL) / total_ram * 100 END) STORED,
	gpu_pct             REAL GENERATED ALWAYS AS (CASE WHEN gpus_total = 0 THEN 0.0 ELSE CAST(gpus AS REAL) / gpus_total * 100 END) STORED,
	vgpu_pct            REAL GENERATED ALWAYS AS (CASE WHEN vgpus_total = 0 THEN 0.0 ELSE CAST(vgpus AS REAL) / vgpus_total * 100 END) STORED,
	storage_pct         REAL GENERATED ALWAYS AS (CASE WHEN storage_total = 0 THEN 0.0 ELSE CAST(storage_used AS REAL) / storage_total * 100 END) STORED
);
-- The sync's high-water mark (MAX(created)), "newest record" and sorting by created.
CREATE INDEX vergeos_billing_by_created ON vergeos_billing(created, record_key);
-- Pages select a period by the billed period's start; the coverage check walks it in order.
CREATE INDEX vergeos_billing_by_period ON vergeos_billing(period_from, period_to, record_key);
-- The reconciliation panel counts records not yet reported.
CREATE INDEX vergeos_billing_unsent ON vergeos_billing(period_from) WHERE sent = 0;

CREATE TABLE vergeos_generate_requests (
	id                INTEGER PRIMARY KEY,
	requested_by      TEXT    NOT NULL,          -- the admin's subject
	requested_by_name TEXT    NOT NULL DEFAULT '',
	requested_at      INTEGER NOT NULL,
	note              TEXT    NOT NULL DEFAULT '',
	state             TEXT    NOT NULL CHECK (state IN ('queued','sending','verify','delivered','failed','uncertain','dead')),
	outbox_id         INTEGER NOT NULL REFERENCES outbox(id) DEFERRABLE INITIALLY DEFERRED, -- set right after the outbox row, in the same transaction
	sent_at           INTEGER NOT NULL DEFAULT 0, -- start of the last delivery attempt
	settled_at        INTEGER NOT NULL DEFAULT 0, -- when it reached its current state
	action_key        TEXT    NOT NULL DEFAULT '', -- the billing_actions row VergeOS created
	error             TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX vergeos_generate_requests_by_state ON vergeos_generate_requests(state, id);
CREATE INDEX vergeos_generate_requests_by_outbox ON vergeos_generate_requests(outbox_id);
