package cache

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"time"

	"github.com/accounting-portal/portal/internal/costs"
	"github.com/accounting-portal/portal/internal/decimal"
	"github.com/accounting-portal/portal/internal/portal"
)

// RateTable returns the whole rate card: every rate and FX version.
func (db *DB) RateTable(ctx context.Context, base string) (*costs.Table, error) {
	var t *costs.Table
	err := db.read(ctx, func(tx *sql.Tx) error {
		var err error
		t, err = rateTable(ctx, tx, base)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("cache: rate table: %w", err)
	}
	return t, nil
}

func rateTable(ctx context.Context, q querier, base string) (*costs.Table, error) {
	t := &costs.Table{Base: base}
	rows, err := q.QueryContext(ctx, `SELECT id, source, measure, scope, price, currency, valid_from, created_by, created_by_name, created_at FROM cost_rates ORDER BY id`)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var r costs.Rate
		var from, at int64
		if err := rows.Scan(&r.ID, &r.Source, &r.Measure, &r.Scope, &r.Price, &r.Currency, &from, &r.CreatedBy, &r.CreatedByName, &at); err != nil {
			rows.Close()
			return nil, err
		}
		r.ValidFrom, r.CreatedAt = time.Unix(from, 0).UTC(), unix(at)
		t.Rates = append(t.Rates, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows, err = q.QueryContext(ctx, `SELECT id, currency, per_base, valid_from, created_by, created_by_name, created_at FROM cost_fx ORDER BY id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var f costs.FX
		var from, at int64
		if err := rows.Scan(&f.ID, &f.Currency, &f.PerBase, &from, &f.CreatedBy, &f.CreatedByName, &at); err != nil {
			return nil, err
		}
		f.ValidFrom, f.CreatedAt = time.Unix(from, 0).UTC(), unix(at)
		t.FX = append(t.FX, f)
	}
	return t, rows.Err()
}

// ArgoDefinitionNames returns the names of the ARGO metric definitions the
// cache holds, with their unit types: what ARGO rates can price.
func (db *DB) ArgoDefinitionNames(ctx context.Context) (map[string]string, error) {
	type nameUnit struct{ name, unit string }
	rows, err := all(ctx, db, `SELECT name, MIN(unit_type) FROM argo_metric_definitions GROUP BY name ORDER BY name`, nil,
		func(r rowScanner) (nameUnit, error) {
			var n nameUnit
			err := r.Scan(&n.name, &n.unit)
			return n, err
		})
	if err != nil {
		return nil, fmt.Errorf("cache: definition names: %w", err)
	}
	out := make(map[string]string, len(rows))
	for _, n := range rows {
		out[n.name] = n.unit
	}
	return out, nil
}

// AddRate stores a rate version and, in the same transaction, prices again
// exactly the ledger lines it can decide: its source and measure (its
// scope only, unless it is for *), from its ValidFrom up to the next later
// version of the same scope. Lines whose pricing does not change are not
// written.
func (db *DB) AddRate(ctx context.Context, base string, r costs.NewRate, by, byName string) (costs.RateChange, error) {
	var ch costs.RateChange
	err := db.write(ctx, func(tx *sql.Tx) error {
		return db.addRate(ctx, tx, base, r, by, byName, &ch)
	})
	if err != nil {
		return costs.RateChange{}, fmt.Errorf("cache: add rate: %w", err)
	}
	return ch, nil
}

func (db *DB) addRate(ctx context.Context, tx *sql.Tx, base string, r costs.NewRate, by, byName string, ch *costs.RateChange) error {
	res, err := tx.ExecContext(ctx, `INSERT INTO cost_rates(source, measure, scope, price, currency, valid_from, created_by, created_by_name, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, r.Source, r.Measure, r.Scope, r.Price, r.Currency, r.ValidFrom.Unix(), by, byName, db.now())
	if err != nil {
		return err
	}
	id, _ := res.LastInsertId()
	ch.Rates++
	ch.IDs = append(ch.IDs, id)
	t, err := rateTable(ctx, tx, base)
	if err != nil {
		return err
	}
	until := t.AffectedUntil(r.Source, r.Measure, r.Scope, r.ValidFrom, id)
	cond, args := "source = ? AND measure = ? AND day >= ?", []any{r.Source, r.Measure, r.ValidFrom.Unix()}
	if r.Scope != costs.AnyScope {
		cond += " AND scope = ?"
		args = append(args, r.Scope)
	}
	if !until.IsZero() {
		cond += " AND day < ?"
		args = append(args, until.Unix())
	}
	if err := db.reprice(ctx, tx, t, cond, args, ch); err != nil {
		return err
	}
	return db.audit(ctx, tx, portal.AuditEntry{Actor: by, ActorName: byName, Subject: "cost_rate:" + strconv.FormatInt(id, 10), To: "added",
		Reason: fmt.Sprintf("%s %s in %s %s: %s %s from %s", r.Source, r.Measure, costs.ScopeKind(r.Source), r.Scope, r.Price, r.Currency, r.ValidFrom.Format(costs.DateLayout))})
}

// AddFX stores an FX version and prices again the ledger lines of its days
// (up to the currency's next later version) that are in its currency or
// unpriced.
func (db *DB) AddFX(ctx context.Context, base string, f costs.NewFX, by, byName string) (costs.RateChange, error) {
	var ch costs.RateChange
	err := db.write(ctx, func(tx *sql.Tx) error {
		return db.addFX(ctx, tx, base, f, by, byName, &ch)
	})
	if err != nil {
		return costs.RateChange{}, fmt.Errorf("cache: add FX: %w", err)
	}
	return ch, nil
}

func (db *DB) addFX(ctx context.Context, tx *sql.Tx, base string, f costs.NewFX, by, byName string, ch *costs.RateChange) error {
	res, err := tx.ExecContext(ctx, `INSERT INTO cost_fx(currency, per_base, valid_from, created_by, created_by_name, created_at) VALUES (?, ?, ?, ?, ?, ?)`,
		f.Currency, f.PerBase, f.ValidFrom.Unix(), by, byName, db.now())
	if err != nil {
		return err
	}
	id, _ := res.LastInsertId()
	ch.FX++
	t, err := rateTable(ctx, tx, base)
	if err != nil {
		return err
	}
	until := t.FXAffectedUntil(f.Currency, f.ValidFrom, id)
	cond, args := "day >= ? AND (currency = ? OR rate_id IS NULL)", []any{f.ValidFrom.Unix(), f.Currency}
	if !until.IsZero() {
		cond += " AND day < ?"
		args = append(args, until.Unix())
	}
	if err := db.reprice(ctx, tx, t, cond, args, ch); err != nil {
		return err
	}
	return db.audit(ctx, tx, portal.AuditEntry{Actor: by, ActorName: byName, Subject: "cost_fx:" + strconv.FormatInt(id, 10), To: "added",
		Reason: fmt.Sprintf("%s %s per %s from %s", f.PerBase, f.Currency, base, f.ValidFrom.Format(costs.DateLayout))})
}

// ImportCard adds the versions of a checked card that are not stored yet:
// a version identical to one stored (superseded or not) is skipped, so
// importing an export again changes nothing. FX versions go first, so the
// rates of the same card are priced with them.
func (db *DB) ImportCard(ctx context.Context, base string, rates []costs.NewRate, fx []costs.NewFX, by, byName string) (costs.RateChange, error) {
	var ch costs.RateChange
	err := db.write(ctx, func(tx *sql.Tx) error {
		for _, f := range fx {
			var n int
			if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM cost_fx WHERE currency = ? AND valid_from = ? AND per_base = ?`,
				f.Currency, f.ValidFrom.Unix(), f.PerBase).Scan(&n); err != nil {
				return err
			}
			if n > 0 {
				ch.Skipped++
				continue
			}
			if err := db.addFX(ctx, tx, base, f, by, byName, &ch); err != nil {
				return err
			}
		}
		for _, r := range rates {
			var n int
			if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM cost_rates WHERE source = ? AND measure = ? AND scope = ? AND valid_from = ?
				AND price = ? AND currency = ?`, r.Source, r.Measure, r.Scope, r.ValidFrom.Unix(), r.Price, r.Currency).Scan(&n); err != nil {
				return err
			}
			if n > 0 {
				ch.Skipped++
				continue
			}
			if err := db.addRate(ctx, tx, base, r, by, byName, &ch); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return costs.RateChange{}, fmt.Errorf("cache: import rate card: %w", err)
	}
	return ch, nil
}

// reprice prices the ledger lines that match cond again with t and
// writes those whose pricing changed.
func (db *DB) reprice(ctx context.Context, tx *sql.Tx, t *costs.Table, cond string, args []any, ch *costs.RateChange) error {
	lines, err := ledgerLines(ctx, tx, cond, args...)
	if err != nil {
		return err
	}
	now := db.now()
	for _, old := range lines {
		nl := t.Price(old.Usage)
		if samePricing(old, nl) {
			continue
		}
		if err := updatePricing(ctx, tx, nl, now); err != nil {
			return err
		}
		ch.Repriced++
		ch.Saw(nl.Day.Unix())
	}
	return nil
}

func samePricing(a, b costs.Line) bool {
	return a.RateID == b.RateID && a.FXID == b.FXID && a.Unpriced == b.Unpriced && a.Currency == b.Currency &&
		decimalText(a.Price, a.Priced()) == decimalText(b.Price, b.Priced()) &&
		decimalText(a.Amount, a.Priced()) == decimalText(b.Amount, b.Priced()) &&
		decimalText(a.AmountBase, a.Priced()) == decimalText(b.AmountBase, b.Priced()) &&
		decimalText(a.FXRate, a.Priced()) == decimalText(b.FXRate, b.Priced())
}

// decimalText is a priced line's amount as stored ("" on an unpriced line).
func decimalText(d decimal.Decimal, priced bool) string {
	if !priced {
		return ""
	}
	return d.String()
}

func updatePricing(ctx context.Context, tx *sql.Tx, l costs.Line, now int64) error {
	var rate any
	if l.Priced() {
		rate = l.RateID
	}
	_, err := tx.ExecContext(ctx, `UPDATE cost_ledger SET rate_id = ?, price = ?, currency = ?, amount = ?, fx_id = ?, fx_rate = ?, amount_base = ?,
		unpriced = ?, priced_at = ? WHERE project_key = ? AND day = ? AND source = ? AND measure = ? AND scope = ?`,
		rate, decimalText(l.Price, l.Priced()), l.Currency, decimalText(l.Amount, l.Priced()), l.FXID, decimalText(l.FXRate, l.Priced()),
		decimalText(l.AmountBase, l.Priced()), l.Unpriced, now, l.Project, l.Day.Unix(), l.Source, l.Measure, l.Scope)
	return err
}

// ledgerLines reads the ledger lines that match cond.
func ledgerLines(ctx context.Context, q querier, cond string, args ...any) ([]costs.Line, error) {
	rows, err := q.QueryContext(ctx, `SELECT project_key, day, source, measure, scope, quantity, unit, origin, COALESCE(rate_id, 0), price, currency,
		amount, fx_id, fx_rate, amount_base, unpriced FROM cost_ledger WHERE `+cond+` ORDER BY day, source, measure, scope, project_key`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []costs.Line
	for rows.Next() {
		var l costs.Line
		var day int64
		var price, amount, fxRate, base string
		if err := rows.Scan(&l.Project, &day, &l.Source, &l.Measure, &l.Scope, &l.Quantity, &l.Unit, &l.Origin, &l.RateID, &price, &l.Currency,
			&amount, &l.FXID, &fxRate, &base, &l.Unpriced); err != nil {
			return nil, err
		}
		l.Day = time.Unix(day, 0).UTC()
		if l.Priced() {
			for _, p := range []struct {
				s   string
				dst *decimal.Decimal
			}{{price, &l.Price}, {amount, &l.Amount}, {fxRate, &l.FXRate}, {base, &l.AmountBase}} {
				d, err := decimal.Parse(p.s)
				if err != nil {
					return nil, fmt.Errorf("ledger line %s: %w", l.Key(), err)
				}
				*p.dst = d
			}
		}
		out = append(out, l)
	}
	return out, rows.Err()
}

// projectAllowed fails with ENOTFOUND unless key is a catalogued project in scope.
func projectAllowed(ctx context.Context, q querier, scope portal.Scope, key string) (string, error) {
	if !scope.Allows(key) {
		return "", portal.Errorf(portal.ENOTFOUND, "There is no project %s among yours.", key)
	}
	rows, err := q.QueryContext(ctx, `SELECT name FROM projects WHERE key = ?`, key)
	if err != nil {
		return "", err
	}
	defer rows.Close()
	if !rows.Next() {
		return "", portal.Errorf(portal.ENOTFOUND, "There is no project %s among yours.", key)
	}
	var name string
	if err := rows.Scan(&name); err != nil {
		return "", err
	}
	return name, rows.Err()
}
