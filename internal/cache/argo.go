package cache

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"time"

	"github.com/accounting-portal/portal/internal/metrics"
	"github.com/accounting-portal/portal/internal/portal"
)

// The ARGO Accounting cache: what the ARGO sync writes (this file), what
// the metrics pages read (argo_query.go, argo_lists.go) and metric pushes
// (argo_pushes.go). The types and the push's state machine are the
// metrics domain's (internal/metrics); this is their SQL.

func init() {
	registerCountedTable(portal.UpstreamArgo, "projects", "argo_projects")
	registerCountedTable(portal.UpstreamArgo, "providers", "argo_providers")
	registerCountedTable(portal.UpstreamArgo, "installations", "argo_installations")
	registerCountedTable(portal.UpstreamArgo, "metric definitions", "argo_metric_definitions")
	registerCountedTable(portal.UpstreamArgo, "metrics", "argo_metrics")
}

// BeginArgoSync starts a sync run: it takes the next generation number and
// returns the state the run's windows are computed from.
func (db *DB) BeginArgoSync(ctx context.Context) (metrics.SyncState, error) {
	st := metrics.SyncState{Newest: map[string]time.Time{}}
	err := db.write(ctx, func(tx *sql.Tx) error {
		var last int64
		if err := tx.QueryRowContext(ctx, `UPDATE argo_sync_state SET generation = generation + 1 WHERE id = 1 RETURNING generation, last_full`).
			Scan(&st.Generation, &last); err != nil {
			return err
		}
		st.LastFull = unix(last)
		rows, err := tx.QueryContext(ctx, `SELECT project_id, newest FROM argo_project_windows`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var p string
			var s int64
			if err := rows.Scan(&p, &s); err != nil {
				return err
			}
			st.Newest[p] = unix(s)
		}
		return rows.Err()
	})
	if err != nil {
		return st, fmt.Errorf("cache: begin ARGO sync: %w", err)
	}
	return st, nil
}

// UpsertArgoEntities writes a complete read of the entities, marking each
// with gen, in one transaction, and returns the rows written. Nothing is
// removed here (see FinishArgoSync). An installation whose project or
// provider the lists left out gets a placeholder row, so it is neither
// dropped nor orphaned.
func (db *DB) UpsertArgoEntities(ctx context.Context, gen int64, e metrics.Entities) (int64, error) {
	var n int64
	err := db.write(ctx, func(tx *sql.Tx) error {
		for _, p := range e.Projects {
			if _, err := tx.ExecContext(ctx, `INSERT INTO argo_projects(id, acronym, title, start_date, end_date, call_identifier, seen_gen)
				VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET acronym = excluded.acronym, title = excluded.title,
				start_date = excluded.start_date, end_date = excluded.end_date, call_identifier = excluded.call_identifier, seen_gen = excluded.seen_gen`,
				p.ID, p.Acronym, p.Title, p.StartDate, p.EndDate, p.CallID, gen); err != nil {
				return fmt.Errorf("project %s: %w", p.ID, err)
			}
		}
		for _, p := range e.Providers {
			if _, err := tx.ExecContext(ctx, `INSERT INTO argo_providers(id, name, website, abbreviation, logo, external_id, seen_gen)
				VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET name = excluded.name, website = excluded.website,
				abbreviation = excluded.abbreviation, logo = excluded.logo, external_id = excluded.external_id, seen_gen = excluded.seen_gen`,
				p.ID, p.Name, p.Website, p.Abbreviation, p.Logo, p.ExternalID, gen); err != nil {
				return fmt.Errorf("provider %s: %w", p.ID, err)
			}
		}
		if err := upsertDefinitions(ctx, tx, gen, e.Definitions); err != nil {
			return err
		}
		// Where each installation was: one that moved takes its metrics along.
		owners, err := installationOwners(ctx, tx)
		if err != nil {
			return err
		}
		for _, in := range e.Installations {
			if err := upsertInstallation(ctx, tx, gen, in, owners); err != nil {
				return fmt.Errorf("installation %s: %w", in.ID, err)
			}
		}
		n = int64(len(e.Projects) + len(e.Providers) + len(e.Definitions) + len(e.Installations))
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("cache: upsert ARGO entities: %w", err)
	}
	db.bump(portal.UpstreamArgo)
	return n, nil
}

func upsertDefinitions(ctx context.Context, tx *sql.Tx, gen int64, defs []metrics.Definition) error {
	for _, d := range defs {
		if _, err := tx.ExecContext(ctx, `INSERT INTO argo_metric_definitions(id, name, description, unit_type, metric_type, seen_gen)
			VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET name = excluded.name, description = excluded.description,
			unit_type = excluded.unit_type, metric_type = excluded.metric_type, seen_gen = excluded.seen_gen`,
			d.ID, d.Name, d.Description, d.UnitType, d.MetricType, gen); err != nil {
			return fmt.Errorf("metric definition %s: %w", d.ID, err)
		}
	}
	return nil
}

func upsertInstallation(ctx context.Context, tx *sql.Tx, gen int64, in metrics.Installation, owners map[string][2]string) error {
	// Placeholders keep seen_gen current, so the sweep keeps them while an
	// installation refers to them; a later list that names them fills them.
	if _, err := tx.ExecContext(ctx, `INSERT INTO argo_projects(id, acronym, title, seen_gen) VALUES (?, ?, ?, ?)
		ON CONFLICT(id) DO UPDATE SET seen_gen = excluded.seen_gen`, in.ProjectID, in.ProjectID, in.ProjectID, gen); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO argo_providers(id, name, seen_gen) VALUES (?, ?, ?)
		ON CONFLICT(id) DO UPDATE SET seen_gen = excluded.seen_gen`, in.ProviderID, in.ProviderID, gen); err != nil {
		return err
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO argo_installations(id, project_id, provider_id, infrastructure, installation, resource, external_id, unit_of_access, seen_gen)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET project_id = excluded.project_id, provider_id = excluded.provider_id,
		infrastructure = excluded.infrastructure, installation = excluded.installation, resource = excluded.resource,
		external_id = excluded.external_id, unit_of_access = excluded.unit_of_access, seen_gen = excluded.seen_gen`,
		in.ID, in.ProjectID, in.ProviderID, in.Infrastructure, in.Name, in.Resource, in.External, in.UnitOfAccess, gen)
	if err != nil {
		return err
	}
	// An installation moved to another project or provider takes its
	// metrics along; its rollups follow, and the totals of every project
	// are counted again (a move is rare).
	if was, ok := owners[in.ID]; !ok || was == [2]string{in.ProjectID, in.ProviderID} {
		return nil
	}
	if _, err := tx.ExecContext(ctx, `UPDATE argo_metrics SET project_id = ?, provider_id = ? WHERE installation_id = ?`,
		in.ProjectID, in.ProviderID, in.ID); err != nil {
		return err
	}
	return refreshRollups(ctx, tx, rollupSel{cond: "m.installation_id = ?", args: []any{in.ID}, totalsCond: "1=1"}, time.Time{})
}

// UpsertArgoMetrics writes one batch of metrics, marked with gen, in one
// transaction: first the metric definitions the batch names that the
// cache may not know yet, then the metrics by id. A metric of an
// installation the cache does not know is skipped (the next run, having
// read the installation, stores it). It returns the metrics written.
//
// The installations' projects and providers are looked up once per batch
// in Go, so the metrics go in as plain multi-row inserts.
func (db *DB) UpsertArgoMetrics(ctx context.Context, gen int64, defs []metrics.Definition, ms []metrics.Metric) (int64, error) {
	var n int64
	err := db.bulkWrite(ctx, func(tx *sql.Tx) error {
		if err := upsertDefinitions(ctx, tx, gen, defs); err != nil {
			return err
		}
		if len(ms) == 0 {
			return nil
		}
		insts, err := installationOwners(ctx, tx)
		if err != nil {
			return err
		}
		known := lastOfEach(ms, func(m metrics.Metric) string { return m.ID })
		for i, m := range known {
			if _, ok := insts[m.InstallationID]; !ok {
				// Rare: copy out the metrics whose installation is known.
				all := known
				known = slices.Clone(all[:i])
				for _, m := range all[i:] {
					if _, ok := insts[m.InstallationID]; ok {
						known = append(known, m)
					}
				}
				break
			}
		}
		n, err = upsertMetrics.exec(ctx, tx, len(known), func(i int, args []any) []any {
			m := known[i]
			o := insts[m.InstallationID]
			return append(args, m.ID, m.InstallationID, o[0], o[1], m.DefinitionID, secs(m.Start), secs(m.End), m.Value, m.GroupID, m.UserID, gen)
		})
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("cache: upsert ARGO metrics: %w", err)
	}
	db.bump(portal.UpstreamArgo)
	return n, nil
}

var upsertMetrics = bulkInsert{
	head: `INSERT INTO argo_metrics(id, installation_id, project_id, provider_id, definition_id, start, end, value, group_id, user_id, seen_gen)`,
	tail: `ON CONFLICT(id) DO UPDATE SET installation_id = excluded.installation_id, project_id = excluded.project_id,
		provider_id = excluded.provider_id, definition_id = excluded.definition_id, start = excluded.start, end = excluded.end,
		value = excluded.value, group_id = excluded.group_id, user_id = excluded.user_id, seen_gen = excluded.seen_gen`,
	cols: 11,
}

// installationOwners maps every cached installation to its project and provider.
func installationOwners(ctx context.Context, tx *sql.Tx) (map[string][2]string, error) {
	rows, err := tx.QueryContext(ctx, `SELECT id, project_id, provider_id FROM argo_installations`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string][2]string{}
	for rows.Next() {
		var id string
		var o [2]string
		if err := rows.Scan(&id, &o[0], &o[1]); err != nil {
			return nil, err
		}
		out[id] = o
	}
	return out, rows.Err()
}

// RefreshArgoTotals brings the rollups and totals of one project's
// metrics up to date from the period that from falls in (all of them for
// the zero time), in one transaction. A sync calls it as soon as it has
// stored a project's metrics, so that the adding up overlaps the reading
// of the other projects, and names the project in Sweep.Refreshed.
func (db *DB) RefreshArgoTotals(ctx context.Context, project string, from time.Time) error {
	if err := db.write(ctx, func(tx *sql.Tx) error { return refreshRollups(ctx, tx, projectMetrics(project), from) }); err != nil {
		return fmt.Errorf("cache: refresh ARGO totals of %s: %w", project, err)
	}
	db.bump(portal.UpstreamArgo)
	return nil
}

// FinishArgoSync ends a successful run in one transaction: it removes the
// entities the run did not see (their installations and metrics go with
// them) and, within each project's window, the metrics ARGO no longer
// has, then refreshes the rollups and totals of the periods read that
// the run has not refreshed already (Sweep.Refreshed).
// Metrics written by a push and not read back yet are kept. It returns
// the rows removed.
func (db *DB) FinishArgoSync(ctx context.Context, s metrics.Sweep) (int64, error) {
	var removed int64
	exec := func(tx *sql.Tx, q string, args ...any) error {
		res, err := tx.ExecContext(ctx, q, args...)
		if err != nil {
			return err
		}
		n, _ := res.RowsAffected()
		removed += n
		return nil
	}
	err := db.write(ctx, func(tx *sql.Tx) error {
		swept := map[string]bool{}
		for p, from := range s.Windows {
			before := removed
			if err := exec(tx, `DELETE FROM argo_metrics WHERE project_id = ? AND start >= ? AND seen_gen < ?`, p, secs(from), s.Generation); err != nil {
				return err
			}
			swept[p] = removed > before
		}
		for p, t := range s.Newest {
			if _, err := tx.ExecContext(ctx, `INSERT INTO argo_project_windows(project_id, newest) SELECT id, ? FROM argo_projects WHERE id = ?
				ON CONFLICT(project_id) DO UPDATE SET newest = `+sqlGreatest("newest", "excluded.newest"), secs(t), p); err != nil {
				return err
			}
		}
		before := removed
		for _, t := range []string{"argo_installations", "argo_metric_definitions", "argo_providers", "argo_projects"} {
			// Table names are constants.
			if err := exec(tx, `DELETE FROM `+t+` WHERE seen_gen < ?`, s.Generation); err != nil {
				return err
			}
		}
		removedEntities := removed - before
		switch {
		case removedEntities > 0 || (s.Full && len(s.Refreshed) == 0):
			// Everything was read, or entities went with their metrics
			// (rare): count everything again.
			if err := refreshRollups(ctx, tx, allMetrics, time.Time{}); err != nil {
				return err
			}
		default:
			for p, from := range s.Windows {
				if s.Refreshed[p] && !swept[p] {
					continue
				}
				if err := refreshRollups(ctx, tx, projectMetrics(p), from); err != nil {
					return err
				}
			}
		}
		if s.Full {
			_, err := tx.ExecContext(ctx, `UPDATE argo_sync_state SET last_full = ? WHERE id = 1`, secs(s.At))
			return err
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("cache: finish ARGO sync: %w", err)
	}
	db.bump(portal.UpstreamArgo)
	return removed, nil
}
