-- What the metrics pages read, computed when metrics are stored rather
-- than on every request.

-- The pages no longer add up metrics by project (the totals below do), so
-- the project index need not carry every column: it serves the windows a
-- sync refreshes, and every write of a metric is cheaper.
DROP INDEX argo_metrics_by_project;
CREATE INDEX argo_metrics_by_project ON argo_metrics(project_id, start);
--
-- The weekly and monthly rollups per installation also keep the start of
-- their first and last metric, so an installation's or a definition's
-- metric count and first/last dates add up a few rows instead of every
-- metric.
ALTER TABLE argo_metric_rollups ADD COLUMN first INTEGER NOT NULL DEFAULT 0;
ALTER TABLE argo_metric_rollups ADD COLUMN last INTEGER NOT NULL DEFAULT 0;
DELETE FROM argo_metric_rollups;
INSERT INTO argo_metric_rollups(granularity, installation_id, definition_id, period, project_id, provider_id, s, n, first, last)
	SELECT 'week', installation_id, definition_id, ((start / 86400 + 3) / 7 * 7 - 3) * 86400 AS period,
		MIN(project_id), MIN(provider_id), SUM(value), COUNT(*), MIN(start), MAX(start)
	FROM argo_metrics GROUP BY installation_id, definition_id, period;
INSERT INTO argo_metric_rollups(granularity, installation_id, definition_id, period, project_id, provider_id, s, n, first, last)
	SELECT 'month', installation_id, definition_id, CAST(strftime('%s', start, 'unixepoch', 'start of month') AS INTEGER) AS period,
		MIN(project_id), MIN(provider_id), SUM(value), COUNT(*), MIN(start), MAX(start)
	FROM argo_metrics GROUP BY installation_id, definition_id, period;
CREATE INDEX argo_metric_rollups_by_definition ON argo_metric_rollups(granularity, definition_id, project_id, installation_id, n, first, last);

-- Totals per day, week and month, project, provider and metric
-- definition: the rows of the metrics overview, its CSV and its charts.
-- s is the sum of the values and a the sum, over the installations, of
-- each installation's mean value in the period: the total of an
-- 'aggregated' definition is s, of any other a (so a definition whose
-- type changes needs no recount). A successful sync refreshes the periods
-- it read in the transaction that ends it, a delivered push its own.
CREATE TABLE argo_metric_totals (
	granularity   TEXT    NOT NULL CHECK (granularity IN ('day', 'week', 'month')),
	period        INTEGER NOT NULL,  -- start of the day, week (Monday) or month, Unix seconds
	project_id    TEXT    NOT NULL,
	provider_id   TEXT    NOT NULL,
	definition_id TEXT    NOT NULL REFERENCES argo_metric_definitions(id) ON DELETE CASCADE,
	insts         INTEGER NOT NULL,  -- installations with metrics in the period
	n             INTEGER NOT NULL,  -- metrics
	s             REAL    NOT NULL,
	a             REAL    NOT NULL,
	PRIMARY KEY (granularity, period, project_id, provider_id, definition_id)
) WITHOUT ROWID;
CREATE INDEX argo_metric_totals_by_project ON argo_metric_totals(granularity, project_id, period);
INSERT INTO argo_metric_totals(granularity, period, project_id, provider_id, definition_id, insts, n, s, a)
	SELECT 'day', period, project_id, provider_id, definition_id, COUNT(*), SUM(n), SUM(s), SUM(s / n)
	FROM (SELECT project_id, provider_id, definition_id, installation_id, (start / 86400) * 86400 AS period, SUM(value) AS s, COUNT(*) AS n
		FROM argo_metrics GROUP BY project_id, provider_id, definition_id, installation_id, period)
	GROUP BY period, project_id, provider_id, definition_id;
INSERT INTO argo_metric_totals(granularity, period, project_id, provider_id, definition_id, insts, n, s, a)
	SELECT granularity, period, project_id, provider_id, definition_id, COUNT(*), SUM(n), SUM(s), SUM(s / n)
	FROM argo_metric_rollups GROUP BY granularity, period, project_id, provider_id, definition_id;
