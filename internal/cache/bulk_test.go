package cache

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"testing"

	"github.com/accounting-portal/portal/internal/metrics"
)

// writerTempStore reads the writer connection's temp_store setting.
func writerTempStore(t *testing.T, q interface {
	QueryRowContext(context.Context, string, ...any) *sql.Row
}) int {
	t.Helper()
	var v int
	if err := q.QueryRowContext(context.Background(), `PRAGMA temp_store`).Scan(&v); err != nil {
		t.Fatal(err)
	}
	return v
}

// A batch's transaction has the bulk settings and the writer connection
// gets its own back after it, whether the transaction committed or
// failed; a failed one leaves nothing behind.
func TestBulkWrite_SettingsLastOneTransaction(t *testing.T) {
	db, _ := MustOpen(t)
	ctx := context.Background()
	before := writerTempStore(t, db.w)
	var during int
	err := db.bulkWrite(ctx, func(tx *sql.Tx) error {
		during = writerTempStore(t, tx)
		_, err := tx.ExecContext(ctx, `INSERT INTO argo_metric_definitions(id, name, seen_gen) VALUES ('kept', 'kept', 1)`)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if during != 2 || before == 2 {
		t.Fatalf("temp_store %d before and %d during the bulk write, want not 2 (memory), then 2", before, during)
	}
	if after := writerTempStore(t, db.w); after != before {
		t.Fatalf("temp_store %d after the bulk write, want %d as before it", after, before)
	}
	boom := errors.New("boom")
	err = db.bulkWrite(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO argo_metric_definitions(id, name, seen_gen) VALUES ('lost', 'lost', 1)`); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("a failed bulk write answered %v", err)
	}
	if after := writerTempStore(t, db.w); after != before {
		t.Fatalf("temp_store %d after a failed bulk write, want %d", after, before)
	}
	if n := count(t, db, `SELECT COUNT(*) FROM argo_metric_definitions WHERE id IN ('kept', 'lost')`); n != 1 {
		t.Fatalf("%d of the committed and the failed write's rows stored, want the committed one", n)
	}
}

// A batch longer than one statement, whose repeated ids fall in different
// statements, stores each metric once with its last value.
func TestUpsertArgoMetrics_BatchAcrossStatementsWithRepeats(t *testing.T) {
	db, _ := MustOpen(t)
	ctx := context.Background()
	seedArgo(t, db, 1)
	st, err := db.BeginArgoSync(ctx)
	if err != nil {
		t.Fatal(err)
	}
	n := 2*bulkRows + 7
	var ms []metrics.Metric
	for i := range n {
		s := argoDay0.AddDate(0, 0, i%40)
		ms = append(ms, metrics.Metric{ID: fmt.Sprintf("m%04d", i), InstallationID: "iA1", DefinitionID: "cpu", Start: s, End: s.AddDate(0, 0, 1), Value: 1})
	}
	// Repeats of the first and a middle metric in the last statement.
	s := argoDay0
	ms = append(ms, metrics.Metric{ID: "m0000", InstallationID: "iA2", DefinitionID: "users", Start: s, End: s.AddDate(0, 0, 1), Value: 42},
		metrics.Metric{ID: fmt.Sprintf("m%04d", bulkRows+3), InstallationID: "iA1", DefinitionID: "cpu", Start: s, End: s.AddDate(0, 0, 1), Value: 43})
	got, err := db.UpsertArgoMetrics(ctx, st.Generation, nil, ms)
	if err != nil {
		t.Fatal(err)
	}
	if got != int64(n) {
		t.Errorf("%d metrics written, want %d", got, n)
	}
	if c := count(t, db, `SELECT COUNT(*) FROM argo_metrics WHERE id LIKE 'm%' AND seen_gen = ?`, st.Generation); c != n {
		t.Errorf("%d metrics stored, want %d", c, n)
	}
	if c := count(t, db, `SELECT COUNT(*) FROM argo_metrics WHERE id = 'm0000' AND installation_id = 'iA2' AND provider_id = 'p2' AND value = 42`); c != 1 {
		t.Error("the repeated first metric does not have its last values")
	}
	if c := count(t, db, `SELECT COUNT(*) FROM argo_metrics WHERE id = ? AND value = 43`, fmt.Sprintf("m%04d", bulkRows+3)); c != 1 {
		t.Error("the repeated middle metric does not have its last value")
	}
	if after := writerTempStore(t, db.w); after == 2 {
		t.Error("the writer kept the bulk settings")
	}
}
