package cache

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"time"

	"github.com/accounting-portal/portal/internal/budgets"
	"github.com/accounting-portal/portal/internal/decimal"
	"github.com/accounting-portal/portal/internal/portal"
)

// The budgets pages' reads. Every one takes the user's scope and limits
// rows to it in SQL: a user sees the virtual labs that hold at least one
// of their projects, and within them only their projects; admins see
// every catalogued lab and project.

// BudgetOverview returns the labs and projects of scope with their
// balances and spend (see budgets.SpendWindows), labs and projects by name.
// It changes only with what the OBI sync writes, the catalogue and the
// day, so it is read again only when one of them has moved (memo.go).
// The labs are shared with every caller that asks the same until then:
// callers read them, never change them (the page keeps its tables by the
// labs themselves).
func (db *DB) BudgetOverview(ctx context.Context, scope portal.Scope, now time.Time) ([]budgets.Lab, error) {
	_, _, to := budgets.SpendWindows(now)
	return remembered(db, "budget overview:"+scopeKey(scope)+":"+uitoa(uint64(to.Unix())), db.gen(portal.UpstreamOBI, genCatalog),
		func() ([]budgets.Lab, error) { return db.budgetOverview(ctx, scope, now) }, same)
}

func (db *DB) budgetOverview(ctx context.Context, scope portal.Scope, now time.Time) ([]budgets.Lab, error) {
	var labs []budgets.Lab
	err := db.read(ctx, func(tx *sql.Tx) error {
		var err error
		if labs, err = budgetLabs(ctx, tx, scope); err != nil {
			return err
		}
		projects, err := budgetProjects(ctx, tx, scope, "")
		if err != nil {
			return err
		}
		if err := db.addSpend(ctx, tx, projects, now); err != nil {
			return err
		}
		// The forecasts' exact divisions depend only on what is kept
		// here, so they are made once with it, not on every request.
		for i := range projects {
			pr := budgets.NewProjection(projects[i].Balance, projects[i].Spend7, projects[i].Spend30)
			projects[i].Projection = &pr
		}
		idx := map[string]int{}
		for i, l := range labs {
			idx[l.VlabID] = i
		}
		for _, p := range projects {
			if i, ok := idx[p.VlabID]; ok {
				labs[i].Projects = append(labs[i].Projects, p)
			}
		}
		for i := range labs {
			s := budgets.SumProjects(labs[i].Projects)
			labs[i].Sums = &s
		}
		return addDiscounts(ctx, tx, labs)
	})
	if err != nil {
		return nil, fmt.Errorf("cache: budget overview: %w", err)
	}
	return labs, nil
}

// labScope limits virtual labs (column) to those holding a project of scope.
func labScope(scope portal.Scope, column string) (string, []any) {
	if scope.All {
		return "1=1", nil
	}
	cond, args := ScopeFilter(scope, portal.UpstreamOBI, "pi.upstream_id")
	return column + " IN (SELECT pi.vlab_id FROM project_ids pi WHERE pi.upstream = 'obi' AND " + cond + ")", args
}

func budgetLabs(ctx context.Context, tx *sql.Tx, scope portal.Scope) ([]budgets.Lab, error) {
	cond, args := labScope(scope, "l.id")
	rows, err := tx.QueryContext(ctx, `SELECT l.id, l.name, lb.balance FROM virtual_labs l
		LEFT JOIN obi_lab_balances lb ON lb.vlab_id = l.id WHERE `+cond+` ORDER BY l.name, l.id`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []budgets.Lab
	for rows.Next() {
		var l budgets.Lab
		var bal decimal.Null // NULL: no sync has read the lab yet
		if err := rows.Scan(&l.VlabID, &l.Name, &bal); err != nil {
			return nil, err
		}
		l.Balance, l.HasBalance = bal.Decimal, bal.Valid
		out = append(out, l)
	}
	return out, rows.Err()
}

// budgetProjects returns the catalogued OBI projects of scope (only key,
// if given) with their balances.
func budgetProjects(ctx context.Context, tx *sql.Tx, scope portal.Scope, key string) ([]budgets.Project, error) {
	cond, args := ScopeFilter(scope, portal.UpstreamOBI, "pi.upstream_id")
	if key != "" {
		cond += " AND pi.project_key = ?"
		args = append(args, key)
	}
	rows, err := tx.QueryContext(ctx, `SELECT pi.project_key, p.name, pi.upstream_id, COALESCE(pi.vlab_id, ''), COALESCE(l.name, ''),
		pb.balance, pb.reservation
		FROM project_ids pi JOIN projects p ON p.key = pi.project_key
		LEFT JOIN virtual_labs l ON l.id = pi.vlab_id
		LEFT JOIN obi_project_balances pb ON pb.proj_id = pi.upstream_id
		WHERE pi.upstream = 'obi' AND `+cond+` ORDER BY p.name, p.key`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []budgets.Project
	for rows.Next() {
		var p budgets.Project
		var bal, rsv decimal.Null // NULL: no sync has read the project yet
		if err := rows.Scan(&p.Key, &p.Name, &p.ProjID, &p.VlabID, &p.LabName, &bal, &rsv); err != nil {
			return nil, err
		}
		p.Balance, p.Reservation, p.HasBalance = bal.Decimal, rsv.Decimal, bal.Valid
		out = append(out, p)
	}
	return out, rows.Err()
}

// addSpend fills in the projects' spend from the daily rollup, summed
// exactly: the sums of every project over the two windows are read once
// per OBI sync and day (memo.go), and scope only picks among them.
func (db *DB) addSpend(ctx context.Context, tx *sql.Tx, projects []budgets.Project, now time.Time) error {
	if len(projects) == 0 {
		return nil
	}
	from7, from30, to := budgets.SpendWindows(now)
	spend, err := remembered(db, "spend:"+uitoa(uint64(to.Unix())), db.gen(portal.UpstreamOBI),
		func() (map[string][2]decimal.Decimal, error) { return spendByProject(ctx, tx, from7, from30, to) }, same)
	if err != nil {
		return err
	}
	for i, p := range projects {
		if s, ok := spend[p.ProjID]; ok {
			projects[i].Spend7, projects[i].Spend30 = s[0], s[1]
		}
	}
	return nil
}

// spendByProject sums each project's spend over [from7, to) and [from30, to).
func spendByProject(ctx context.Context, tx *sql.Tx, from7, from30, to time.Time) (map[string][2]decimal.Decimal, error) {
	rows, err := tx.QueryContext(ctx, spendSQL("1=1"), from30.Unix(), to.Unix())
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string][2]decimal.Decimal{}
	for rows.Next() {
		var proj string
		var day int64
		var amt decimal.Decimal
		if err := rows.Scan(&proj, &day, &amt); err != nil {
			return nil, err
		}
		s := out[proj]
		s[1] = s[1].Add(amt)
		if day >= from7.Unix() {
			s[0] = s[0].Add(amt)
		}
		out[proj] = s
	}
	return out, rows.Err()
}

// spendSQL reads the daily spend totals of the projects cond selects (with
// the window's two bounds as its first arguments); the overview reads
// every project's ("1=1") once per OBI sync and day.
func spendSQL(cond string) string {
	return `SELECT s.proj_id, s.day, s.amount FROM obi_spend_total s WHERE s.day >= ? AND s.day < ? AND ` + cond
}

// addDiscounts sets the discount in force of each lab.
func addDiscounts(ctx context.Context, tx *sql.Tx, labs []budgets.Lab) error {
	for i := range labs {
		ds, err := labDiscounts(ctx, tx, labs[i].VlabID, true)
		if err != nil {
			return err
		}
		if len(ds) > 0 {
			labs[i].Discount = &ds[0]
		}
	}
	return nil
}

func labDiscounts(ctx context.Context, tx *sql.Tx, vlabID string, currentOnly bool) ([]budgets.Discount, error) {
	q := `SELECT id, discount, valid_from, valid_to, current FROM obi_discounts WHERE vlab_id = ?`
	if currentOnly {
		q += ` AND current = 1`
	}
	rows, err := tx.QueryContext(ctx, q+` ORDER BY valid_from DESC, id DESC`, vlabID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []budgets.Discount
	for rows.Next() {
		d := budgets.Discount{VlabID: vlabID}
		var from, to int64
		if err := rows.Scan(&d.ID, &d.Discount, &from, &to, &d.Current); err != nil {
			return nil, err
		}
		d.ValidFrom, d.ValidTo = unix(from), unix(to)
		out = append(out, d)
	}
	return out, rows.Err()
}

// BudgetProjectByKey returns the budget of the project with the portal
// key, ENOTFOUND when it is not a catalogued OBI project of scope. It is
// kept until OBI's data, the catalogue or the spend windows' day moves
// (memo.go); each caller gets a copy of its own.
func (db *DB) BudgetProjectByKey(ctx context.Context, scope portal.Scope, key string, now time.Time) (*budgets.ProjectDetail, error) {
	_, _, to := budgets.SpendWindows(now)
	return remembered(db, "budget project:"+scopeKey(scope)+":"+key+":"+uitoa(uint64(to.Unix())), db.gen(portal.UpstreamOBI, genCatalog),
		func() (*budgets.ProjectDetail, error) { return db.budgetProjectByKey(ctx, scope, key, now) },
		func(d *budgets.ProjectDetail) *budgets.ProjectDetail {
			c := *d
			c.Discounts = slices.Clone(d.Discounts)
			return &c
		})
}

func (db *DB) budgetProjectByKey(ctx context.Context, scope portal.Scope, key string, now time.Time) (*budgets.ProjectDetail, error) {
	var d *budgets.ProjectDetail
	err := db.read(ctx, func(tx *sql.Tx) error {
		ps, err := budgetProjects(ctx, tx, scope, key)
		if err != nil {
			return err
		}
		if len(ps) == 0 {
			return portal.Errorf(portal.ENOTFOUND, "There is no budget for project %q, or it is not one of yours.", key)
		}
		if err := db.addSpend(ctx, tx, ps, now); err != nil {
			return err
		}
		d = &budgets.ProjectDetail{Project: ps[0]}
		var bal decimal.Null
		if err := tx.QueryRowContext(ctx, `SELECT balance FROM obi_lab_balances WHERE vlab_id = ?`, d.VlabID).Scan(&bal); err != nil && err != sql.ErrNoRows {
			return err
		}
		d.LabBalance, d.LabHasBalance = bal.Decimal, bal.Valid
		if d.Discounts, err = labDiscounts(ctx, tx, d.VlabID, false); err != nil {
			return err
		}
		var first, last sql.NullInt64
		if err := tx.QueryRowContext(ctx, `SELECT MIN(at), MAX(at) FROM obi_balance_snapshots WHERE account = ?`, d.ProjID).Scan(&first, &last); err != nil {
			return err
		}
		d.FirstSnapshot, d.LastSnapshot = unix(first.Int64), unix(last.Int64)
		return nil
	})
	if err != nil {
		if portal.ErrorCode(err) == portal.ENOTFOUND {
			return nil, err
		}
		return nil, fmt.Errorf("cache: budget of %s: %w", key, err)
	}
	return d, nil
}
