package cache

import (
	"context"
	"database/sql"
	"testing"
	"time"
)

func TestThinBalanceSnapshots(t *testing.T) {
	db, now := MustOpen(t)
	ctx := context.Background()
	base := now.UTC()
	// Two accounts, a snapshot every 30 minutes over the last 400 days
	// (several an hour is what the thinning acts on; more is only slower).
	var want int
	err := db.write(ctx, func(tx *sql.Tx) error {
		for _, acc := range []string{"a", "b"} {
			for at := base.Add(-400 * 24 * time.Hour); !at.After(base); at = at.Add(30 * time.Minute) {
				if _, err := tx.ExecContext(ctx, `INSERT INTO obi_balance_snapshots(account, at, kind, balance) VALUES (?, ?, 'project', '1.00')`, acc, at.Unix()); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	count := func(where string, args ...any) int {
		var n int
		db.r.QueryRowContext(ctx, `SELECT COUNT(*) FROM obi_balance_snapshots WHERE `+where, args...).Scan(&n)
		return n
	}
	recent := count("account = 'a' AND at >= ?", base.Add(-SnapshotFullFor).Unix())
	removed, err := db.ThinBalanceSnapshots(ctx)
	if err != nil || removed == 0 {
		t.Fatalf("removed %d: %v", removed, err)
	}
	// Every recent snapshot is kept.
	if got := count("account = 'a' AND at >= ?", base.Add(-SnapshotFullFor).Unix()); got != recent {
		t.Fatalf("recent snapshots %d, want %d", got, recent)
	}
	// Between 35 days and a year: one per hour, the last of it.
	from, to := base.Add(-SnapshotHourlyFor).Unix(), base.Add(-SnapshotFullFor).Unix()
	var perHour int
	db.r.QueryRowContext(ctx, `SELECT MAX(c) FROM (SELECT COUNT(*) c FROM obi_balance_snapshots WHERE account = 'a' AND at >= ? AND at < ? GROUP BY at / 3600)`, from, to).Scan(&perHour)
	if perHour != 1 {
		t.Fatalf("up to %d snapshots in an hour of the past year", perHour)
	}
	if n := count("account = 'a' AND at >= ? AND at < ? AND at % 3600 <> 1800", from+3600, to-3600); n != 0 {
		t.Fatalf("%d kept hourly snapshots are not the last of their hour", n)
	}
	// Older than a year: one per day.
	var perDay int
	db.r.QueryRowContext(ctx, `SELECT MAX(c) FROM (SELECT COUNT(*) c FROM obi_balance_snapshots WHERE account = 'b' AND at < ? GROUP BY at / 86400)`, from).Scan(&perDay)
	if perDay != 1 {
		t.Fatalf("up to %d snapshots in a day older than a year", perDay)
	}
	want = count("1=1")
	again, _ := db.ThinBalanceSnapshots(ctx)
	if again != 0 || count("1=1") != want {
		t.Fatalf("a second pass removed %d", again)
	}
}
