-- Costs: VergeOS per-tenant usage, the rate card (rate and FX versions,
-- never changed once written), the ledger of priced usage per project, day,
-- source, measure and scope, and the budgets admins set.
--
-- Money, prices, FX rates and quantities are exact decimal TEXT. Days are
-- INTEGER Unix seconds of 00:00 UTC; other times Unix seconds.

-- The tenants VergeOS lists (GET /api/v4/tenants), by $key.
CREATE TABLE vergeos_tenants (
	tenant_key INTEGER PRIMARY KEY,
	name       TEXT    NOT NULL,
	seen_at    INTEGER NOT NULL
);
CREATE INDEX vergeos_tenants_by_name ON vergeos_tenants(name);

-- Samples of the catalogued tenants' history tables, in the wire's units
-- (pyvergeos TenantStatsHistory): 'long' is tenant_stats_history_long, kept
-- whole; 'short' is tenant_stats_history_short, kept for its last day.
CREATE TABLE vergeos_tenant_samples (
	tenant_key         INTEGER NOT NULL,
	history            TEXT    NOT NULL CHECK (history IN ('short', 'long')),
	ts                 INTEGER NOT NULL,  -- "timestamp"
	sample_key         TEXT    NOT NULL DEFAULT '', -- VergeOS $key of the row
	total_cpu          INTEGER NOT NULL DEFAULT 0,  -- percent
	core_count         INTEGER NOT NULL DEFAULT 0,
	ram_used           INTEGER NOT NULL DEFAULT 0,  -- MB
	vram_used          INTEGER NOT NULL DEFAULT 0,  -- MB
	ram_allocated      INTEGER NOT NULL DEFAULT 0,  -- MB
	ram_pct            INTEGER NOT NULL DEFAULT 0,  -- percent
	ip_count           INTEGER NOT NULL DEFAULT 0,
	tier0_provisioned  INTEGER NOT NULL DEFAULT 0,  -- bytes
	tier0_used         INTEGER NOT NULL DEFAULT 0,  -- bytes
	tier0_allocated    INTEGER NOT NULL DEFAULT 0,  -- bytes
	tier0_pct          INTEGER NOT NULL DEFAULT 0,  -- percent
	tier1_provisioned  INTEGER NOT NULL DEFAULT 0,  -- bytes
	tier1_used         INTEGER NOT NULL DEFAULT 0,  -- bytes
	tier1_allocated    INTEGER NOT NULL DEFAULT 0,  -- bytes
	tier1_pct          INTEGER NOT NULL DEFAULT 0,  -- percent
	tier2_provisioned  INTEGER NOT NULL DEFAULT 0,  -- bytes
	tier2_used         INTEGER NOT NULL DEFAULT 0,  -- bytes
	tier2_allocated    INTEGER NOT NULL DEFAULT 0,  -- bytes
	tier2_pct          INTEGER NOT NULL DEFAULT 0,  -- percent
	tier3_provisioned  INTEGER NOT NULL DEFAULT 0,  -- bytes
	tier3_used         INTEGER NOT NULL DEFAULT 0,  -- bytes
	tier3_allocated    INTEGER NOT NULL DEFAULT 0,  -- bytes
	tier3_pct          INTEGER NOT NULL DEFAULT 0,  -- percent
	tier4_provisioned  INTEGER NOT NULL DEFAULT 0,  -- bytes
	tier4_used         INTEGER NOT NULL DEFAULT 0,  -- bytes
	tier4_allocated    INTEGER NOT NULL DEFAULT 0,  -- bytes
	tier4_pct          INTEGER NOT NULL DEFAULT 0,  -- percent
	tier5_provisioned  INTEGER NOT NULL DEFAULT 0,  -- bytes
	tier5_used         INTEGER NOT NULL DEFAULT 0,  -- bytes
	tier5_allocated    INTEGER NOT NULL DEFAULT 0,  -- bytes
	tier5_pct          INTEGER NOT NULL DEFAULT 0,  -- percent
	gpus_used          INTEGER NOT NULL DEFAULT 0,
	gpus_total         INTEGER NOT NULL DEFAULT 0,
	gpus_pct           INTEGER NOT NULL DEFAULT 0,
	vgpus_used         INTEGER NOT NULL DEFAULT 0,
	vgpus_total        INTEGER NOT NULL DEFAULT 0,
	vgpus_pct          INTEGER NOT NULL DEFAULT 0,
	digest             INTEGER NOT NULL,            -- hash of the values: a re-read that changes nothing writes nothing
	synced_at          INTEGER NOT NULL,
	PRIMARY KEY (tenant_key, history, ts)
) WITHOUT ROWID;

-- A tenant's current reading (GET /api/v4/tenant_stats).
CREATE TABLE vergeos_tenant_current (
	tenant_key  INTEGER PRIMARY KEY,
	ram_used    INTEGER NOT NULL,  -- MB
	last_update INTEGER NOT NULL,  -- when VergeOS updated it; 0: never
	read_at     INTEGER NOT NULL
);

-- Rate versions: the price of one measure of one source in a scope ('*':
-- everywhere without a rate of its own), from valid_from on.
CREATE TABLE cost_rates (
	id              INTEGER PRIMARY KEY,
	source          TEXT    NOT NULL,
	measure         TEXT    NOT NULL,
	scope           TEXT    NOT NULL,
	price           TEXT    NOT NULL,  -- in currency per unit of the measure
	currency        TEXT    NOT NULL,
	valid_from      INTEGER NOT NULL,  -- a day
	created_by      TEXT    NOT NULL,
	created_by_name TEXT    NOT NULL DEFAULT '',
	created_at      INTEGER NOT NULL
);
CREATE INDEX cost_rates_by_measure ON cost_rates(source, measure, scope, valid_from);

-- FX versions: per_base units of currency buy one unit of the base currency.
CREATE TABLE cost_fx (
	id              INTEGER PRIMARY KEY,
	currency        TEXT    NOT NULL,
	per_base        TEXT    NOT NULL,
	valid_from      INTEGER NOT NULL,
	created_by      TEXT    NOT NULL,
	created_by_name TEXT    NOT NULL DEFAULT '',
	created_at      INTEGER NOT NULL
);
CREATE INDEX cost_fx_by_currency ON cost_fx(currency, valid_from);

-- The ledger: one row per project, day, source, measure and scope, with
-- the usage, where it came from, and its pricing. An unpriced row has no
-- rate_id and says why in unpriced; it never counts as zero.
CREATE TABLE cost_ledger (
	project_key TEXT    NOT NULL,
	day         INTEGER NOT NULL,
	source      TEXT    NOT NULL,
	measure     TEXT    NOT NULL,
	scope       TEXT    NOT NULL,  -- the tenant, installation, resource or virtual lab
	quantity    TEXT    NOT NULL,
	unit        TEXT    NOT NULL,  -- the quantity's unit in full
	origin      TEXT    NOT NULL,  -- the upstream table and records it adds up
	rate_id     INTEGER,           -- NULL: unpriced
	price       TEXT    NOT NULL DEFAULT '',
	currency    TEXT    NOT NULL DEFAULT '',
	amount      TEXT    NOT NULL DEFAULT '',  -- quantity × price, in currency
	fx_id       INTEGER NOT NULL DEFAULT 0,   -- 0: the base currency
	fx_rate     TEXT    NOT NULL DEFAULT '',
	amount_base TEXT    NOT NULL DEFAULT '',  -- amount / fx_rate
	unpriced    TEXT    NOT NULL DEFAULT '',  -- why there is no price
	usage_at    INTEGER NOT NULL,  -- when a sync last changed the usage
	priced_at   INTEGER NOT NULL,  -- when the pricing last changed
	PRIMARY KEY (project_key, day, source, measure, scope)
) WITHOUT ROWID;
-- A new rate version re-prices the days of its measure; a sync the days of its source.
CREATE INDEX cost_ledger_by_measure ON cost_ledger(source, measure, day);

-- Budgets: what a project may spend in a month, quarter or year, in the
-- base currency. Setting one again replaces it (the audit trail keeps the old).
CREATE TABLE cost_budgets (
	id          INTEGER PRIMARY KEY,
	project_key TEXT    NOT NULL,
	kind        TEXT    NOT NULL CHECK (kind IN ('month', 'quarter', 'year')),
	start       INTEGER NOT NULL,  -- first day of the period
	amount      TEXT    NOT NULL,
	note        TEXT    NOT NULL DEFAULT '',
	set_by      TEXT    NOT NULL,
	set_by_name TEXT    NOT NULL DEFAULT '',
	set_at      INTEGER NOT NULL,
	UNIQUE (project_key, kind, start)
);

-- How far the ledger of each source has been brought up to date: what the
-- upstream's sync state said at the last maintenance (to notice a full
-- re-read) and when.
CREATE TABLE cost_state (
	source        TEXT    PRIMARY KEY,
	mark          TEXT    NOT NULL DEFAULT '',
	maintained_at INTEGER NOT NULL
);

-- The ledger reads the records a project sent by project and time, and
-- keeps the last sending of each record (AMIE keys records by resource and
-- LocalRecordID).
CREATE INDEX usage_upload_records_by_project ON usage_upload_records(local_project_id, start_time);
CREATE INDEX usage_upload_records_by_record ON usage_upload_records(local_project_id, resource, local_record_id, upload_id);
