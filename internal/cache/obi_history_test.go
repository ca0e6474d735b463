package cache

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/accounting-portal/portal/internal/decimal"
)

// TestBalanceSeries_LastOfEachBucket: the chart's series is the newest
// snapshot of each equal bucket of the range, oldest first, whatever the
// spacing of the snapshots; another account's snapshots never mix in.
func TestBalanceSeries_LastOfEachBucket(t *testing.T) {
	db, now := MustOpen(t)
	ctx := context.Background()
	base := now.UTC().Truncate(time.Second)
	rng := rand.New(rand.NewPCG(7, 7))
	var ats []time.Time
	err := db.write(ctx, func(tx *sql.Tx) error {
		at := base.Add(-40 * 24 * time.Hour)
		for i := 0; at.Before(base); i++ {
			ats = append(ats, at)
			if err := snapshot(ctx, tx, testProj, "project", at, decimal.MustParse(fmt.Sprintf("%d.5", 9000-i)), decimal.Zero); err != nil {
				return err
			}
			if err := snapshot(ctx, tx, testLab, "vlab", at.Add(time.Second), decimal.MustParse("1"), decimal.Zero); err != nil {
				return err
			}
			at = at.Add(time.Duration(1+rng.IntN(600)) * time.Second)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	from, to := base.Add(-30*24*time.Hour), base
	const points = 400
	got, err := db.BalanceSeries(ctx, testProj, from, to, points)
	if err != nil {
		t.Fatal(err)
	}
	bucket := (to.Unix() - from.Unix()) / points
	var want []time.Time
	last := map[int64]time.Time{}
	var order []int64
	for _, at := range ats {
		if at.Before(from) || !at.Before(to) {
			continue
		}
		b := (at.Unix() - from.Unix()) / bucket
		if _, ok := last[b]; !ok {
			order = append(order, b)
		}
		last[b] = at
	}
	for _, b := range order {
		want = append(want, last[b])
	}
	if len(got) != len(want) || len(want) < points-2 {
		t.Fatalf("%d points, want %d (of %d snapshots)", len(got), len(want), len(ats))
	}
	for i := range want {
		if !got[i].At.Equal(want[i]) {
			t.Fatalf("point %d at %s, want %s", i, got[i].At, want[i])
		}
	}
}
