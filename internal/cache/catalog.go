package cache

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/accounting-portal/portal/internal/portal"
)

// ReplaceCatalog makes the stored project catalogue equal to c: the
// configuration is the source of truth, so projects and labs removed from
// it disappear.
func (db *DB) ReplaceCatalog(ctx context.Context, c *portal.Catalog) error {
	err := db.write(ctx, func(tx *sql.Tx) error {
		for _, q := range []string{`DELETE FROM project_ids`, `DELETE FROM projects`, `DELETE FROM virtual_labs`} {
			if _, err := tx.ExecContext(ctx, q); err != nil {
				return err
			}
		}
		for _, l := range c.VirtualLabs {
			if _, err := tx.ExecContext(ctx, `INSERT INTO virtual_labs(id, name) VALUES (?, ?)`, l.ID, l.Name); err != nil {
				return err
			}
		}
		for _, p := range c.Projects {
			if _, err := tx.ExecContext(ctx, `INSERT INTO projects(key, name) VALUES (?, ?)`, p.Key, p.Name); err != nil {
				return err
			}
			for _, u := range []string{portal.UpstreamArgo, portal.UpstreamOBI, portal.UpstreamAMIE, portal.UpstreamVergeOS} {
				id := p.UpstreamID(u)
				if id == "" {
					continue
				}
				var vlab any
				if u == portal.UpstreamOBI {
					vlab = p.OBIVlabID
				}
				if _, err := tx.ExecContext(ctx, `INSERT INTO project_ids(upstream, upstream_id, project_key, vlab_id) VALUES (?, ?, ?, ?)`, u, id, p.Key, vlab); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("cache: replace catalogue: %w", err)
	}
	db.bump(genCatalog)
	return nil
}

// Catalog returns the stored catalogue.
func (db *DB) Catalog(ctx context.Context) (*portal.Catalog, error) {
	c := &portal.Catalog{}
	err := db.read(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT id, name FROM virtual_labs ORDER BY name, id`)
		if err != nil {
			return err
		}
		for rows.Next() {
			var l portal.VirtualLab
			if err := rows.Scan(&l.ID, &l.Name); err != nil {
				rows.Close()
				return err
			}
			c.VirtualLabs = append(c.VirtualLabs, l)
		}
		rows.Close()
		rows, err = tx.QueryContext(ctx, `SELECT p.key, p.name,
			COALESCE((SELECT upstream_id FROM project_ids WHERE project_key = p.key AND upstream = 'argo'), ''),
			COALESCE((SELECT upstream_id FROM project_ids WHERE project_key = p.key AND upstream = 'obi'), ''),
			COALESCE((SELECT vlab_id FROM project_ids WHERE project_key = p.key AND upstream = 'obi'), ''),
			COALESCE((SELECT upstream_id FROM project_ids WHERE project_key = p.key AND upstream = 'amie'), ''),
			COALESCE((SELECT upstream_id FROM project_ids WHERE project_key = p.key AND upstream = 'vergeos'), '')
			FROM projects p ORDER BY p.name, p.key`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var p portal.CatalogProject
			if err := rows.Scan(&p.Key, &p.Name, &p.ArgoID, &p.OBIID, &p.OBIVlabID, &p.AMIEID, &p.VergeOSTenant); err != nil {
				return err
			}
			c.Projects = append(c.Projects, p)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("cache: catalogue: %w", err)
	}
	return c, nil
}

// ProjectNames maps project keys to names, for the given keys.
func (db *DB) ProjectNames(ctx context.Context, keys []string) (map[string]string, error) {
	out := map[string]string{}
	if len(keys) == 0 {
		return out, nil
	}
	type name struct{ key, name string }
	names, err := all(ctx, db, `SELECT key, name FROM projects WHERE key IN (`+placeholders(len(keys))+`)`, anys(keys), func(row rowScanner) (name, error) {
		var n name
		err := row.Scan(&n.key, &n.name)
		return n, err
	})
	if err != nil {
		return nil, fmt.Errorf("cache: project names: %w", err)
	}
	for _, n := range names {
		out[n.key] = n.name
	}
	return out, nil
}

// ScopeFilter returns an SQL condition limiting column (an upstream's
// project id) to the projects of scope, with its arguments. A project key
// matches the upstream ids the catalogue gives it, and also an upstream id
// equal to the key itself, so a portal without a catalogue can scope by
// upstream ids directly. Every page query takes one: scoping is done in
// SQL, not by hiding rows in templates.
func ScopeFilter(scope portal.Scope, upstream, column string) (string, []any) {
	if scope.All {
		return "1=1", nil
	}
	if len(scope.Projects) == 0 {
		return "0=1", nil
	}
	ph := placeholders(len(scope.Projects))
	args := []any{upstream}
	args = append(args, anys(scope.Projects)...)
	args = append(args, anys(scope.Projects)...)
	return "(" + column + " IN (SELECT upstream_id FROM project_ids WHERE upstream = ? AND project_key IN (" + ph + ")) OR " +
		column + " IN (" + ph + "))", args
}

func placeholders(n int) string {
	if n <= 0 {
		return ""
	}
	return strings.Repeat("?,", n-1) + "?"
}

func anys[T any](xs []T) []any {
	out := make([]any, len(xs))
	for i, x := range xs {
		out[i] = x
	}
	return out
}
