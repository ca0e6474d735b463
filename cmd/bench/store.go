package main

import (
	"bufio"
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"

	"github.com/accounting-portal/portal/internal/cache"
	"github.com/accounting-portal/portal/internal/metrics"
	"github.com/accounting-portal/portal/internal/syncer"
)

// The store step: the ARGO metrics of the first sync written again, with
// no network, by the portal's store (the batches its sync writes, then
// the end of the run that sweeps and totals) and by `sqlite3 .import`,
// each into a fresh database of the same schema that already holds the
// same projects, providers, definitions and installations.

const argoMetricCols = `id, installation_id, project_id, provider_id, definition_id, start, end, value, group_id, user_id, seen_gen`

// sqlite3Exec runs SQL (or dot-commands) on a database file with sqlite3.
func sqlite3Exec(ctx context.Context, sqlite3, db string, stdin string) error {
	cmd := exec.CommandContext(ctx, sqlite3, "-bail", db)
	cmd.Stdin = strings.NewReader(stdin)
	out, err := cmd.CombinedOutput()
	if err != nil || len(out) > 0 {
		return fmt.Errorf("sqlite3 %s: %v: %s", db, err, out)
	}
	return nil
}

// freshArgoDB creates a database file of the portal's schema holding the
// ARGO entities of src (not its metrics), all of generation 1.
func freshArgoDB(ctx context.Context, sqlite3, src, path string) error {
	os.Remove(path)
	db, err := cache.Open(ctx, path)
	if err != nil {
		return err
	}
	db.Close()
	script := `ATTACH '` + src + `' AS m;
BEGIN;
INSERT INTO argo_projects SELECT * FROM m.argo_projects;
INSERT INTO argo_providers SELECT * FROM m.argo_providers;
INSERT INTO argo_metric_definitions SELECT * FROM m.argo_metric_definitions;
INSERT INTO argo_installations SELECT * FROM m.argo_installations;
UPDATE argo_projects SET seen_gen = 1; UPDATE argo_providers SET seen_gen = 1;
UPDATE argo_metric_definitions SET seen_gen = 1; UPDATE argo_installations SET seen_gen = 1;
COMMIT;
DETACH m;
`
	return sqlite3Exec(ctx, sqlite3, path, script)
}

// exportArgoMetrics writes the metrics of db to a CSV file (no header),
// in the order the sync reads them (by project, then start), with
// generation 1.
func exportArgoMetrics(ctx context.Context, sqlite3, db, out string) (int64, error) {
	f, err := os.Create(out)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	cmd := exec.CommandContext(ctx, sqlite3, "-readonly", "-csv", db,
		`SELECT id, installation_id, project_id, provider_id, definition_id, start, end, value, group_id, user_id, 1 FROM argo_metrics ORDER BY project_id, start`)
	var stderr strings.Builder
	cmd.Stdout, cmd.Stderr = f, &stderr
	if err := cmd.Run(); err != nil {
		return 0, fmt.Errorf("sqlite3 export: %w: %s", err, stderr.String())
	}
	f.Seek(0, 0)
	return countLines(f)
}

// storeArgo writes the CSV's metrics into the database at path through
// the portal's store, as the sync does: per project, in batches of
// syncer.ArgoBatch, then FinishArgoSync of a full run (which counts the
// totals of everything in one pass, as after a first sync). Only the store's
// calls are timed (not reading the CSV).
func storeArgo(ctx context.Context, path, csvPath string) (time.Duration, error) {
	db, err := cache.Open(ctx, path)
	if err != nil {
		return 0, err
	}
	defer db.Close()
	st, err := db.BeginArgoSync(ctx)
	if err != nil {
		return 0, err
	}
	f, err := os.Open(csvPath)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	r := csv.NewReader(bufio.NewReaderSize(f, 1<<20))
	r.ReuseRecord = true
	var took time.Duration
	var batch []metrics.Metric
	windows := map[string]time.Time{}
	newest := map[string]time.Time{}
	project := ""
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		t := time.Now()
		_, err := db.UpsertArgoMetrics(ctx, st.Generation, nil, batch)
		took += time.Since(t)
		batch = batch[:0]
		return err
	}
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return 0, err
		}
		if rec[2] != project || len(batch) >= syncer.ArgoBatch {
			if err := flush(); err != nil {
				return 0, err
			}
			project = rec[2]
		}
		start, _ := strconv.ParseInt(rec[5], 10, 64)
		end, _ := strconv.ParseInt(rec[6], 10, 64)
		v, _ := strconv.ParseFloat(rec[7], 64)
		m := metrics.Metric{ID: rec[0], InstallationID: rec[1], DefinitionID: rec[4], Start: time.Unix(start, 0).UTC(),
			End: time.Unix(end, 0).UTC(), Value: v, GroupID: rec[8], UserID: rec[9]}
		batch = append(batch, m)
		windows[project] = time.Time{}
		if m.Start.After(newest[project]) {
			newest[project] = m.Start
		}
	}
	if err := flush(); err != nil {
		return 0, err
	}
	t := time.Now()
	if _, err := db.FinishArgoSync(ctx, metrics.Sweep{Generation: st.Generation, Windows: windows, Newest: newest, Full: true, At: time.Now()}); err != nil {
		return 0, err
	}
	return took + time.Since(t), nil
}

// importArgo is the floor: sqlite3 .import of the same CSV into
// argo_metrics of the database at path, timed as a whole command.
func importArgo(ctx context.Context, sqlite3, path, csvPath string) (time.Duration, error) {
	t := time.Now()
	err := sqlite3Exec(ctx, sqlite3, path, ".import --csv "+csvPath+" argo_metrics\n")
	return time.Since(t), err
}
