package app_test

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/accounting-portal/portal/internal/app/apptest"
	"github.com/accounting-portal/portal/internal/portal"
)

// The data-sources page has a CSV twin like every other table: the recent
// sync runs.
func TestCoreCSVTwins_SyncRuns(t *testing.T) {
	t.Parallel()
	p := sharedPortal(t)
	admin := p.Login(t, "admin")
	runs, err := p.App.DB.RecentSyncRuns(context.Background(), "vergeos", 10)
	if err != nil || len(runs) == 0 {
		t.Fatalf("runs %v, %v", runs, err)
	}
	csv := apptest.CSVRecords(t, admin.Get("/sources.csv"))
	page := admin.Get("/sources").Body
	for _, r := range runs {
		shown := strings.Contains(page, r.Started.UTC().Format("2006-01-02 15:04:05 UTC"))
		found := false
		for _, row := range csv {
			if row["upstream"] == "vergeos" && row["started_utc"] == r.Started.UTC().Format(time.RFC3339) && row["error"] == r.Error {
				found = true
			}
		}
		if !shown || !found {
			t.Errorf("run started %v: on the page %v, in the CSV %v", r.Started, shown, found)
		}
	}
}

// An outbox item's page has the CSV twin of its attempts.
func TestCoreCSVTwins_OutboxAttempts(t *testing.T) {
	t.Parallel()
	p := apptest.Start(t, apptest.Options{Upstreams: []string{}})
	admin := p.Login(t, "admin")
	ctx := context.Background()
	// An item nobody can deliver fails at its first attempt.
	id, err := p.App.DB.Enqueue(ctx, portal.OutboxItem{Kind: "nobody.delivers", Upstream: "vergeos", Summary: "test", Payload: "{}", CreatedBy: "s"})
	if err != nil {
		t.Fatal(err)
	}
	p.DeliverOutbox(t)
	if it, err := p.App.DB.OutboxItemByID(ctx, id); err != nil || it.State != portal.OutboxFailed {
		t.Fatalf("the item after its attempt: %+v, %v", it, err)
	}
	attempts, _ := p.App.DB.OutboxAttempts(ctx, id)
	rows := apptest.CSVRecords(t, admin.Get("/outbox/"+strconv.FormatInt(id, 10)+".csv"))
	if len(rows) != len(attempts) || len(rows) != 1 || rows[0]["outcome"] != portal.OutboxFailed || !strings.Contains(rows[0]["error"], "no way to deliver") {
		t.Fatalf("attempts CSV %v, attempts %+v", rows, attempts)
	}
	if item := admin.Get("/outbox/" + strconv.FormatInt(id, 10)); !strings.Contains(item.Body, `href="/outbox/`+strconv.FormatInt(id, 10)+`.csv"`) {
		t.Error("the item page does not link its attempts CSV")
	}
}
