package cache

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"

	"github.com/accounting-portal/portal/internal/metrics"
	"github.com/accounting-portal/portal/internal/portal"
)

// CreateMetricPush records a push and its outbox item in one transaction
// and returns the push's id. The installation must be in scope (the
// user's manage scope; ENOTFOUND otherwise) and the definition known
// (EINVALID). A period the installation already has a metric for, or a
// push for, is ECONFLICT: ARGO keeps one metric per installation,
// definition and period.
func (db *DB) CreateMetricPush(ctx context.Context, scope portal.Scope, p metrics.NewPush) (int64, error) {
	var id int64
	err := db.write(ctx, func(tx *sql.Tx) error {
		in, err := pushInstallation(ctx, tx, scope, p.InstallationID)
		if err != nil {
			return err
		}
		var def metrics.Definition
		err = tx.QueryRowContext(ctx, `SELECT id, name, unit_type, metric_type FROM argo_metric_definitions WHERE id = ?`, p.DefinitionID).
			Scan(&def.ID, &def.Name, &def.UnitType, &def.MetricType)
		if err != nil {
			return notFoundAs(err, portal.EINVALID, "definition: choose one of the metric definitions listed")
		}
		if err := checkPeriodFree(ctx, tx, p, def.Name); err != nil {
			return err
		}
		if err := p.CheckValue(); err != nil {
			return err
		}
		now := db.now()
		// value_text is the exact value; value, a REAL SQLite makes of the
		// same text, only orders the list of pushes.
		err = tx.QueryRowContext(ctx, `INSERT INTO metric_pushes(installation_id, installation_name, project_id, provider_id, definition_id,
			definition_name, unit_type, metric_type, start, end, value, value_text, group_id, user_id, state, created_by, created_by_name, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, CAST(? AS REAL), ?, ?, ?, 'queued', ?, ?, ?, ?) RETURNING id`,
			in.ID, in.Name, in.ProjectID, in.ProviderID, def.ID, def.Name, def.UnitType, def.MetricType, secs(p.Start), secs(p.End),
			p.Value.String(), p.ValueText, p.GroupID, p.UserID, p.Actor, p.ActorName, now, now).Scan(&id)
		if err != nil {
			return err
		}
		payload, _ := json.Marshal(p.Payload(id))
		summary := p.Summary(def, in.Name)
		oid, err := db.enqueue(ctx, tx, portal.OutboxItem{Kind: portal.KindARGOMetric, Upstream: portal.UpstreamArgo, Ref: metrics.PushRef(id),
			Summary: summary, Payload: string(payload), CreatedBy: p.Actor, CreatedByName: p.ActorName})
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE metric_pushes SET outbox_id = ? WHERE id = ?`, oid, id); err != nil {
			return err
		}
		return db.audit(ctx, tx, portal.AuditEntry{Actor: p.Actor, ActorName: p.ActorName, Subject: metrics.PushRef(id), To: portal.OutboxQueued,
			Reason: "pushed: " + summary})
	})
	if err != nil {
		return 0, fmt.Errorf("cache: create metric push: %w", err)
	}
	return id, nil
}

// notFoundAs turns sql.ErrNoRows into an error with code and msg.
func notFoundAs(err error, code, msg string) error {
	if err == sql.ErrNoRows {
		return portal.Errorf(code, "%s", msg)
	}
	return err
}

func pushInstallation(ctx context.Context, tx *sql.Tx, scope portal.Scope, id string) (metrics.Installation, error) {
	cond, args := scopedProjects(scope, "i.project_id")
	var in metrics.Installation
	err := tx.QueryRowContext(ctx, `SELECT i.id, i.project_id, i.provider_id, COALESCE(NULLIF(i.installation, ''), i.id)
		FROM argo_installations i WHERE i.id = ? AND `+cond, append([]any{id}, args...)...).Scan(&in.ID, &in.ProjectID, &in.ProviderID, &in.Name)
	return in, notFoundAs(err, portal.ENOTFOUND, fmt.Sprintf("There is no installation %q among the installations you manage.", id))
}

func checkPeriodFree(ctx context.Context, tx *sql.Tx, p metrics.NewPush, defName string) error {
	var metricID string
	err := tx.QueryRowContext(ctx, `SELECT id FROM argo_metrics WHERE installation_id = ? AND start = ? AND definition_id = ? AND end = ?`,
		p.InstallationID, secs(p.Start), p.DefinitionID, secs(p.End)).Scan(&metricID)
	if err == nil {
		return metrics.PeriodHasMetric(defName, metricID)
	}
	if err != sql.ErrNoRows {
		return err
	}
	var pushID int64
	var state string
	err = tx.QueryRowContext(ctx, `SELECT p.id, COALESCE(o.state, p.state) FROM metric_pushes p LEFT JOIN outbox o ON o.id = p.outbox_id
		WHERE p.installation_id = ? AND p.definition_id = ? AND p.start = ? AND p.end = ? AND COALESCE(o.state, p.state) IN (`+placeholders(len(metrics.ActiveStates))+`)
		ORDER BY p.id DESC LIMIT 1`, append([]any{p.InstallationID, p.DefinitionID, secs(p.Start), secs(p.End)}, anys(metrics.ActiveStates)...)...).Scan(&pushID, &state)
	if err == nil {
		return metrics.PeriodHasPush(pushID, defName, state)
	}
	if err != sql.ErrNoRows {
		return err
	}
	return nil
}

// SettleMetricPush is the settler of portal.KindARGOMetric: it keeps a
// push in step with its outbox item, in the transaction that records the
// item's new state, as metrics.StateAfter says. A delivered push's metric
// is written into the cached metrics at once, so the pages list it before
// the next sync reads it back.
func (db *DB) SettleMetricPush(ctx context.Context, tx *sql.Tx, it portal.OutboxItem, o portal.OutboxOutcome) error {
	id, ok := metrics.PushID(it.Ref)
	if !ok {
		return fmt.Errorf("cache: outbox item %d refers to %q, not a metric push", it.ID, it.Ref)
	}
	var prev, installation string
	if err := tx.QueryRowContext(ctx, `SELECT state, installation_id FROM metric_pushes WHERE id = ?`, id).Scan(&prev, &installation); err != nil {
		return notFound(err, fmt.Sprintf("metric push %d does not exist", id))
	}
	res, delivered, err := metrics.DeliveredMetric(o)
	if err != nil {
		return fmt.Errorf("cache: metric push %d: %w", id, err)
	}
	if delivered {
		if err := cacheDeliveredMetric(ctx, tx, installation, res); err != nil {
			return err
		}
		db.bumpOnCommit(tx, portal.UpstreamArgo)
		if err := refreshPushRollups(ctx, tx, installation, res); err != nil {
			return err
		}
	}
	s := metrics.StateAfter(prev, o, res)
	if _, err := tx.ExecContext(ctx, `UPDATE metric_pushes SET state = ?, error = ?, metric_id = COALESCE(NULLIF(?, ''), metric_id), updated_at = ? WHERE id = ?`,
		s.To, s.Error, s.MetricID, db.now(), id); err != nil {
		return err
	}
	if err := db.audit(ctx, tx, portal.AuditEntry{Actor: s.Actor, ActorName: s.ActorName, Subject: metrics.PushRef(id), From: s.From, To: s.To, Reason: s.Reason}); err != nil {
		return err
	}
	return db.notePush(ctx, tx, id, s.From, s.To, s.Error)
}

// cacheDeliveredMetric writes ARGO's answer into argo_metrics if the
// installation and definition are cached. seen_gen stays NULL until a
// sync reads it back.
func cacheDeliveredMetric(ctx context.Context, tx *sql.Tx, installation string, m metrics.Result) error {
	if m.MetricID == "" {
		return nil
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO argo_metrics(id, installation_id, project_id, provider_id, definition_id, start, end, value, group_id, user_id)
		SELECT ?, i.id, i.project_id, i.provider_id, d.id, ?, ?, ?, ?, ? FROM argo_installations i, argo_metric_definitions d
		WHERE i.id = ? AND d.id = ?
		ON CONFLICT(id) DO UPDATE SET value = excluded.value, start = excluded.start, end = excluded.end,
			group_id = excluded.group_id, user_id = excluded.user_id`,
		m.MetricID, secs(m.Start), secs(m.End), m.Value, m.GroupID, m.UserID, installation, m.MetricDefinitionID)
	if err != nil {
		return fmt.Errorf("cache: cache delivered metric %s: %w", m.MetricID, err)
	}
	return nil
}

// refreshPushRollups refreshes the rollups and totals a delivered metric
// counts in, when its installation is cached.
func refreshPushRollups(ctx context.Context, tx *sql.Tx, installation string, m metrics.Result) error {
	var project, provider string
	err := tx.QueryRowContext(ctx, `SELECT project_id, provider_id FROM argo_installations WHERE id = ?`, installation).Scan(&project, &provider)
	if err == sql.ErrNoRows {
		return nil
	}
	if err != nil {
		return err
	}
	return refreshRollups(ctx, tx, rollupSel{
		cond: "m.installation_id = ? AND m.definition_id = ?", args: []any{installation, m.MetricDefinitionID},
		totalsCond: "m.project_id = ? AND m.provider_id = ? AND m.definition_id = ?", totalsArgs: []any{project, provider, m.MetricDefinitionID},
	}, m.Start)
}
