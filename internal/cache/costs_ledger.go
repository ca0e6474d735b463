package cache

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"github.com/accounting-portal/portal/internal/usage"
	"strconv"
	"time"

	"github.com/accounting-portal/portal/internal/costs"
	"github.com/accounting-portal/portal/internal/decimal"
	"github.com/accounting-portal/portal/internal/portal"
)

// The ledger is brought up to date after each upstream's sync commits
// (MaintainLedger), for the days that sync can have changed, and priced
// again for exactly the days a new rate or FX version decides (AddRate,
// AddFX). Each maintenance recomputes the source's usage for its days
// from the cached upstream tables, compares it line by line with the
// ledger, and writes only the lines that changed, in one transaction.

// Windows of the incremental maintenance, one day more than the syncs
// themselves re-read (see syncer): ARGO re-reads a week before the newest
// metric of each project, OBI three days below what it knows.
const (
	argoLedgerMargin = 8 * 24 * time.Hour
	obiLedgerMargin  = 4 * 24 * time.Hour
)

// MaintainLedger brings the ledger lines of source up to date after its
// sync. hint is the oldest time the sync changed for sources that report
// it (VergeOS: the oldest tenant sample written; zero: none).
func (db *DB) MaintainLedger(ctx context.Context, source, base string, hint time.Time) (costs.LedgerUpdate, error) {
	up := costs.LedgerUpdate{Source: source}
	err := db.write(ctx, func(tx *sql.Tx) error {
		up = costs.LedgerUpdate{Source: source}
		mark, err := ledgerMark(ctx, tx, source)
		if err != nil {
			return err
		}
		var old string
		switch err := tx.QueryRowContext(ctx, `SELECT mark FROM cost_state WHERE source = ?`, source).Scan(&old); {
		case err == sql.ErrNoRows:
			old = "\x00none"
		case err != nil:
			return err
		}
		if old == mark {
			from, skip, err := ledgerWindow(ctx, tx, source, hint)
			if err != nil {
				return err
			}
			if skip {
				up.Skipped = true
				return nil
			}
			up.From = from
		}
		t, err := rateTable(ctx, tx, base)
		if err != nil {
			return err
		}
		usage, err := collectUsage(ctx, tx, source, up.From)
		if err != nil {
			return err
		}
		up.Examined = len(usage)
		if err := db.applyUsage(ctx, tx, t, source, up.From, usage, &up); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO cost_state(source, mark, maintained_at) VALUES (?, ?, ?)
			ON CONFLICT(source) DO UPDATE SET mark = excluded.mark, maintained_at = excluded.maintained_at`, source, mark, db.now())
		return err
	})
	if err != nil {
		return costs.LedgerUpdate{}, fmt.Errorf("cache: ledger of %s: %w", source, err)
	}
	return up, nil
}

// ledgerMark is what, when it changes, asks for a full recomputation: the
// catalogue (which project owns which upstream ids) and the upstream's
// own "everything was read again" marker.
func ledgerMark(ctx context.Context, tx *sql.Tx, source string) (string, error) {
	h := sha256.New()
	rows, err := tx.QueryContext(ctx, `SELECT p.key, COALESCE(pi.upstream, ''), COALESCE(pi.upstream_id, ''), COALESCE(pi.vlab_id, '')
		FROM projects p LEFT JOIN project_ids pi ON pi.project_key = p.key ORDER BY 1, 2, 3`)
	if err != nil {
		return "", err
	}
	for rows.Next() {
		var a, b, c, d string
		if err := rows.Scan(&a, &b, &c, &d); err != nil {
			rows.Close()
			return "", err
		}
		fmt.Fprintf(h, "%q %q %q %q\n", a, b, c, d)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return "", err
	}
	var upstream sql.NullString
	switch source {
	case portal.UpstreamArgo:
		err = tx.QueryRowContext(ctx, `SELECT CAST(last_full AS TEXT) || '/' || (SELECT COUNT(*) FROM argo_projects) FROM argo_sync_state WHERE id = 1`).Scan(&upstream)
	case portal.UpstreamOBI:
		err = tx.QueryRowContext(ctx, `SELECT CAST(MAX(full_at) AS TEXT) || '/' || COUNT(*) FROM obi_job_cursor`).Scan(&upstream)
	}
	if err != nil && err != sql.ErrNoRows {
		return "", err
	}
	fmt.Fprintf(h, "upstream %s", upstream.String)
	return hex.EncodeToString(h.Sum(nil)[:16]), nil
}

// ledgerWindow returns the first day an incremental maintenance of source
// recomputes, or skip when nothing can have changed.
func ledgerWindow(ctx context.Context, tx *sql.Tx, source string, hint time.Time) (time.Time, bool, error) {
	var from sql.NullInt64
	var err error
	switch source {
	case portal.UpstreamVergeOS:
		if hint.IsZero() {
			return time.Time{}, true, nil
		}
		// The sample before the oldest one written sets its weight only:
		// the day of the hour it stands for is the first to recompute.
		return costs.Day(hint.Add(-time.Duration(costs.SampleSpan) * time.Second)), false, nil
	case portal.UpstreamArgo:
		err = tx.QueryRowContext(ctx, `SELECT MIN(newest) FROM argo_project_windows`).Scan(&from)
		if from.Valid {
			return costs.Day(time.Unix(from.Int64, 0).Add(-argoLedgerMargin)), false, err
		}
	case portal.UpstreamOBI:
		err = tx.QueryRowContext(ctx, `SELECT MIN(watermark) FROM obi_job_cursor`).Scan(&from)
		if from.Valid {
			return costs.Day(time.Unix(from.Int64, 0).Add(-obiLedgerMargin)), false, err
		}
	}
	// AMIE: the records the portal sent are few; the whole history is cheap.
	return time.Time{}, false, err
}

// collectUsage computes source's usage of every catalogued project from
// the cached upstream tables, for days from from on (zero: all).
func collectUsage(ctx context.Context, tx *sql.Tx, source string, from time.Time) ([]costs.Usage, error) {
	switch source {
	case portal.UpstreamVergeOS:
		return vergeosUsage(ctx, tx, from)
	case portal.UpstreamArgo:
		return argoUsage(ctx, tx, from)
	case portal.UpstreamAMIE:
		return amieUsage(ctx, tx, from)
	case portal.UpstreamOBI:
		return obiUsage(ctx, tx, from)
	}
	return nil, fmt.Errorf("no usage of %q", source)
}

// projectIDs maps each catalogued project to its id in upstream: the id
// the projects file gives, or else the project key itself (as the pages
// scope upstream ids).
func projectIDs(ctx context.Context, tx *sql.Tx, upstream string, keyFallback bool) (map[string]string, error) {
	q := `SELECT p.key, pi.upstream_id FROM projects p JOIN project_ids pi ON pi.project_key = p.key AND pi.upstream = ?`
	if keyFallback {
		q = `SELECT p.key, COALESCE(pi.upstream_id, p.key) FROM projects p LEFT JOIN project_ids pi ON pi.project_key = p.key AND pi.upstream = ?`
	}
	rows, err := tx.QueryContext(ctx, q, upstream)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var k, id string
		if err := rows.Scan(&k, &id); err != nil {
			return nil, err
		}
		out[k] = id
	}
	return out, rows.Err()
}

func vergeosUsage(ctx context.Context, tx *sql.Tx, from time.Time) ([]costs.Usage, error) {
	rows, err := tx.QueryContext(ctx, `SELECT p.key, t.name, t.tenant_key FROM projects p
		JOIN project_ids pi ON pi.project_key = p.key AND pi.upstream = ?
		JOIN vergeos_tenants t ON t.name = pi.upstream_id ORDER BY p.key, t.tenant_key`, portal.UpstreamVergeOS)
	if err != nil {
		return nil, err
	}
	var ts []costs.Tenant
	for rows.Next() {
		var t costs.Tenant
		if err := rows.Scan(&t.Project, &t.Name, &t.Key); err != nil {
			rows.Close()
			return nil, err
		}
		ts = append(ts, t)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	var out []costs.Usage
	for _, t := range ts {
		// The sample before the window tells how long the first one in it stands for.
		start := int64(0)
		if !from.IsZero() {
			start = from.Unix() - costs.SampleSpan
		}
		rs, err := tenantReadings(ctx, tx, t.Key, costs.HistoryLong, start, 0)
		if err != nil {
			return nil, err
		}
		ss := make([]costs.TenantSample, len(rs))
		for i, r := range rs {
			ss[i] = r.Sample()
		}
		out = append(out, costs.VergeOSUsage(t.Project, t.Name, t.Key, "tenant_stats_history_long", ss, from)...)
	}
	return out, nil
}

func argoUsage(ctx context.Context, tx *sql.Tx, from time.Time) ([]costs.Usage, error) {
	ids, err := projectIDs(ctx, tx, portal.UpstreamArgo, true)
	if err != nil {
		return nil, err
	}
	var out []costs.Usage
	for key, id := range ids {
		rows, err := tx.QueryContext(ctx, `SELECT m.id, m.installation_id, COALESCE(i.installation, ''), d.name, d.metric_type, d.unit_type, m.start, m.value
			FROM argo_metrics m JOIN argo_metric_definitions d ON d.id = m.definition_id
			LEFT JOIN argo_installations i ON i.id = m.installation_id
			WHERE m.project_id = ? AND m.start >= ? ORDER BY m.start, m.id`, id, from.Unix())
		if err != nil {
			return nil, err
		}
		var ms []costs.ArgoMetric
		for rows.Next() {
			var m costs.ArgoMetric
			var v float64
			if err := rows.Scan(&m.ID, &m.Installation, &m.InstallationName, &m.Definition, &m.MetricType, &m.UnitType, &m.Start, &v); err != nil {
				rows.Close()
				return nil, err
			}
			// ARGO stores doubles: the shortest text that reads back as the
			// same double is the value ARGO holds, read exactly from there on.
			if m.Value, err = decimal.Parse(strconv.FormatFloat(v, 'f', -1, 64)); err != nil {
				rows.Close()
				return nil, fmt.Errorf("ARGO metric %s: %w", m.ID, err)
			}
			ms = append(ms, m)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
		out = append(out, costs.ArgoUsage(key, ms)...)
	}
	return out, nil
}

func amieUsage(ctx context.Context, tx *sql.Tx, from time.Time) ([]costs.Usage, error) {
	ids, err := projectIDs(ctx, tx, portal.UpstreamAMIE, true)
	if err != nil {
		return nil, err
	}
	var out []costs.Usage
	for key, id := range ids {
		rs, err := amieRecords(ctx, tx, id, from.Unix(), 0, true)
		if err != nil {
			return nil, err
		}
		var recs []costs.AMIERecord
		for _, r := range rs {
			recs = append(recs, costs.AMIERecord{Upload: r.Upload, LocalRecordID: r.LocalRecordID, Resource: r.Resource, Start: r.Start.Unix(), Charge: r.Charge})
		}
		out = append(out, costs.AMIEUsage(key, recs)...)
	}
	return out, nil
}

// amieRecords returns the records a project (by its AMIE id) sent through
// the portal that start in [from, to) (to 0: open), one per resource and
// LocalRecordID (AMIE keys records so: a record sent again is the one
// sent last), with their outcome and, when AMIE lists it among the failed
// records, its error. charged keeps only the records AMIE took (accepted,
// or sent) and does not list as failed: those are what AMIE charges.
func amieRecords(ctx context.Context, q querier, amieID string, from, to int64, charged bool) ([]costs.AMIESent, error) {
	cond := "r.local_project_id = ? AND r.start_time >= ?"
	args := []any{amieID, from}
	if to > 0 {
		cond += " AND r.start_time < ?"
		args = append(args, to)
	}
	rows, err := q.QueryContext(ctx, `SELECT r.upload_id, r.local_record_id, r.resource, r.username, r.start_time, r.end_time, r.charge, r.outcome, r.error,
		u.usage_type, COALESCE(f.error, '')
		FROM usage_upload_records r JOIN usage_uploads u ON u.id = r.upload_id
		LEFT JOIN amie_failed f ON f.resource = r.resource AND f.local_record_id = r.local_record_id
		WHERE `+cond+` AND r.upload_id = (SELECT MAX(r2.upload_id) FROM usage_upload_records r2
			WHERE r2.resource = r.resource AND r2.local_record_id = r.local_record_id AND r2.local_project_id = r.local_project_id)
		ORDER BY r.start_time, r.resource, r.local_record_id`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []costs.AMIESent
	seen := map[string]bool{}
	for rows.Next() {
		var s costs.AMIESent
		var start, end int64
		var charge string
		if err := rows.Scan(&s.Upload, &s.LocalRecordID, &s.Resource, &s.Username, &start, &end, &charge, &s.Outcome, &s.Error, &s.UsageType, &s.Failed); err != nil {
			return nil, err
		}
		k := s.Resource + "\x00" + s.LocalRecordID
		if seen[k] {
			continue // a record listed twice among the failed records
		}
		seen[k] = true
		s.Start, s.End = unix(start), unix(end)
		if s.Charge, err = decimal.Parse(charge); err != nil {
			return nil, fmt.Errorf("AMIE record %s: %w", s.LocalRecordID, err)
		}
		if charged && (s.Failed != "" || (s.Outcome != usage.RecordAccepted && s.Outcome != usage.RecordSent)) {
			continue
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

func obiUsage(ctx context.Context, tx *sql.Tx, from time.Time) ([]costs.Usage, error) {
	rows, err := tx.QueryContext(ctx, `SELECT p.key, s.day, COALESCE(pi.vlab_id, ''), s.amount,
		COALESCE((SELECT SUM(jobs) FROM obi_spend_daily sd WHERE sd.proj_id = s.proj_id AND sd.day = s.day), 0)
		FROM obi_spend_total s JOIN project_ids pi ON pi.upstream = ? AND pi.upstream_id = s.proj_id
		JOIN projects p ON p.key = pi.project_key WHERE s.day >= ? ORDER BY p.key, s.day`, portal.UpstreamOBI, from.Unix())
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	byProject := map[string][]costs.OBISpend{}
	var keys []string
	for rows.Next() {
		var key string
		var s costs.OBISpend
		if err := rows.Scan(&key, &s.Day, &s.VlabID, &s.Amount, &s.Jobs); err != nil {
			return nil, err
		}
		if _, ok := byProject[key]; !ok {
			keys = append(keys, key)
		}
		byProject[key] = append(byProject[key], s)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	var out []costs.Usage
	for _, k := range keys {
		out = append(out, costs.OBIUsage(k, byProject[k])...)
	}
	return out, nil
}

// applyUsage writes the usage of source from from on into the ledger:
// lines whose usage or pricing changed are written, lines no longer in
// the usage are removed, and the rest are left alone.
func (db *DB) applyUsage(ctx context.Context, tx *sql.Tx, t *costs.Table, source string, from time.Time, usage []costs.Usage, up *costs.LedgerUpdate) error {
	old, err := ledgerLines(ctx, tx, "source = ? AND day >= ?", source, from.Unix())
	if err != nil {
		return err
	}
	existing := make(map[string]costs.Line, len(old))
	for _, l := range old {
		existing[l.Key()] = l
	}
	stmt, err := tx.PrepareContext(ctx, `INSERT INTO cost_ledger(project_key, day, source, measure, scope, quantity, unit, origin, rate_id, price, currency,
		amount, fx_id, fx_rate, amount_base, unpriced, usage_at, priced_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT(project_key, day, source, measure, scope) DO UPDATE SET quantity = excluded.quantity, unit = excluded.unit, origin = excluded.origin,
		rate_id = excluded.rate_id, price = excluded.price, currency = excluded.currency, amount = excluded.amount, fx_id = excluded.fx_id,
		fx_rate = excluded.fx_rate, amount_base = excluded.amount_base, unpriced = excluded.unpriced, usage_at = excluded.usage_at,
		priced_at = CASE WHEN excluded.rate_id IS cost_ledger.rate_id AND excluded.amount_base = cost_ledger.amount_base
			AND excluded.unpriced = cost_ledger.unpriced THEN cost_ledger.priced_at ELSE excluded.priced_at END`)
	if err != nil {
		return err
	}
	defer stmt.Close()
	now := db.now()
	for _, u := range usage {
		k := u.Key()
		l := t.Price(u)
		if o, ok := existing[k]; ok {
			delete(existing, k)
			if o.Quantity.String() == u.Quantity.String() && o.Unit == u.Unit && o.Origin == u.Origin && samePricing(o, l) {
				continue
			}
		}
		var rate any
		if l.Priced() {
			rate = l.RateID
		}
		if _, err := stmt.ExecContext(ctx, l.Project, l.Day.Unix(), l.Source, l.Measure, l.Scope, l.Quantity, l.Unit, l.Origin, rate,
			decimalText(l.Price, l.Priced()), l.Currency, decimalText(l.Amount, l.Priced()), l.FXID, decimalText(l.FXRate, l.Priced()),
			decimalText(l.AmountBase, l.Priced()), l.Unpriced, now, now); err != nil {
			return err
		}
		up.Written++
	}
	for _, o := range existing {
		if _, err := tx.ExecContext(ctx, `DELETE FROM cost_ledger WHERE project_key = ? AND day = ? AND source = ? AND measure = ? AND scope = ?`,
			o.Project, o.Day.Unix(), o.Source, o.Measure, o.Scope); err != nil {
			return err
		}
		up.Removed++
	}
	return nil
}
