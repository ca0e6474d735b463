package cache

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/accounting-portal/portal/internal/billing"
	"github.com/accounting-portal/portal/internal/metrics"
	"github.com/accounting-portal/portal/internal/notify"
	"github.com/accounting-portal/portal/internal/portal"
	"github.com/accounting-portal/portal/internal/usage"
)

// TestMemo_AnswersFollowTheWritesTheyDependOn reads each kept answer,
// changes the data under it in a way that leaves its key alone, and reads
// it again: the change must show at once.
func TestMemo_AnswersFollowTheWritesTheyDependOn(t *testing.T) {
	ctx := context.Background()
	db, _ := MustOpen(t)
	start := time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC).Unix()
	recs := hourly(start, 3)
	// The first and last hour only: the range's first and last record
	// (the key of the billing answers) stay the same when the middle one
	// arrives.
	mustUpsert(t, db, []billing.Record{recs[0], recs[2]})
	from, to := time.Unix(start, 0), time.Unix(start+3*3600, 0)
	sum, err := db.BillingSummary(ctx, from, to)
	if err != nil || sum.RecordCount != 2 {
		t.Fatalf("summary of two records: %+v %v", sum, err)
	}
	rc, err := db.BillingReconciliation(ctx, from, to)
	if err != nil || rc.Gaps != 1 {
		t.Fatalf("reconciliation with the middle hour missing: %+v %v", rc, err)
	}
	series, err := db.BillingSeries(ctx, from, to, billing.BucketDay)
	if err != nil || len(series) != 1 || series[0].Records != 2 {
		t.Fatalf("series: %+v %v", series, err)
	}
	mustUpsert(t, db, []billing.Record{recs[1]})
	if sum, _ := db.BillingSummary(ctx, from, to); sum.RecordCount != 3 {
		t.Errorf("the summary kept %d records after a third arrived", sum.RecordCount)
	}
	if rc, _ := db.BillingReconciliation(ctx, from, to); rc.Gaps != 0 {
		t.Errorf("the reconciliation kept %d gaps after the missing hour arrived", rc.Gaps)
	}
	if series, _ := db.BillingSeries(ctx, from, to, billing.BucketDay); series[0].Records != 3 {
		t.Errorf("the series kept %d records after a third arrived", series[0].Records)
	}
	// A caller's copy is its own.
	series, _ = db.BillingSeries(ctx, from, to, billing.BucketDay)
	series[0].Records = 99
	if again, _ := db.BillingSeries(ctx, from, to, billing.BucketDay); again[0].Records != 3 {
		t.Error("a caller's change to its series reached the kept one")
	}

	st, err := db.SourceStatuses(ctx, []string{portal.UpstreamVergeOS})
	if err != nil || st[portal.UpstreamVergeOS].LastRun != nil {
		t.Fatalf("status before any run: %+v %v", st, err)
	}
	id, err := db.StartSyncRun(ctx, portal.UpstreamVergeOS)
	if err != nil {
		t.Fatal(err)
	}
	if st, _ := db.SourceStatuses(ctx, []string{portal.UpstreamVergeOS}); st[portal.UpstreamVergeOS].LastRun == nil {
		t.Error("the status does not show the run that started")
	}
	if err := db.FinishSyncRun(ctx, id, 0, "VergeOS said no"); err != nil {
		t.Fatal(err)
	}
	if st, _ := db.SourceStatuses(ctx, []string{portal.UpstreamVergeOS}); st[portal.UpstreamVergeOS].LastError == nil {
		t.Error("the status does not show the run that failed")
	}
}

// TestMemo_StatusAndArgoListsFollowTheirSyncs: the AMIE status list and
// summary, and the ARGO installations and definitions, are kept between
// syncs and show what a sync wrote at once.
func TestMemo_StatusAndArgoListsFollowTheirSyncs(t *testing.T) {
	ctx := context.Background()
	db, now := MustOpen(t)
	// To is mid-day: the kept answer must still be the same days' answer.
	f := usage.StatusFilter{From: amieDay(1), To: amieDay(20).Add(13 * time.Hour), Sort: "day", Limit: 100}
	save := func(rows ...usage.StatusDay) {
		t.Helper()
		if _, err := db.SaveAMIEStatus(ctx, rows, amieDay(18), amieDay(21), *now, true); err != nil {
			t.Fatal(err)
		}
	}
	save(usage.StatusDay{Day: amieDay(18), Resource: "a", Loaded: 1, TotalCharge: "1"})
	if rows, total, err := db.ListUsageStatus(ctx, f); err != nil || total != 1 || len(rows) != 1 {
		t.Fatalf("status list: %v %d %v", rows, total, err)
	}
	if s, err := db.UsageStatusSummary(ctx, f); err != nil || s.Loaded != 1 {
		t.Fatalf("status summary: %+v %v", s, err)
	}
	save(usage.StatusDay{Day: amieDay(18), Resource: "a", Loaded: 1, TotalCharge: "1"},
		usage.StatusDay{Day: amieDay(20), Resource: "a", Loaded: 4, TotalCharge: "4"})
	if rows, total, _ := db.ListUsageStatus(ctx, f); total != 2 || len(rows) != 2 {
		t.Errorf("the status list kept %d rows after a sync wrote a second", total)
	}
	if s, _ := db.UsageStatusSummary(ctx, f); s.Loaded != 5 {
		t.Errorf("the status summary kept %d loaded after a sync wrote 4 more", s.Loaded)
	}
	// A caller's copy is its own.
	rows, _, _ := db.ListUsageStatus(ctx, f)
	rows[0].Loaded = 99
	if again, _, _ := db.ListUsageStatus(ctx, f); again[0].Loaded == 99 {
		t.Error("a caller's change to its status rows reached the kept ones")
	}

	all := portal.Scope{All: true}
	seedArgo(t, db, 2)
	ins, _, err := db.ArgoInstallations(ctx, metrics.InstallationQuery{Scope: all, Sort: "installation"})
	if err != nil || len(ins) != 3 || ins[0].Metrics != 4 {
		t.Fatalf("installations after two days: %+v %v", ins, err)
	}
	defs, _, err := db.ArgoDefinitions(ctx, metrics.DefinitionQuery{Scope: all, Sort: "name"})
	if err != nil || len(defs) != 2 || defs[0].Metrics != 6 {
		t.Fatalf("definitions after two days: %+v %v", defs, err)
	}
	seedArgo(t, db, 3)
	if ins, _, _ := db.ArgoInstallations(ctx, metrics.InstallationQuery{Scope: all, Sort: "installation"}); ins[0].Metrics != 6 {
		t.Errorf("the installations kept %d metrics after a sync brought a third day", ins[0].Metrics)
	}
	if defs, _, _ := db.ArgoDefinitions(ctx, metrics.DefinitionQuery{Scope: all, Sort: "name"}); defs[0].Metrics != 9 {
		t.Errorf("the definitions kept %d metrics after a sync brought a third day", defs[0].Metrics)
	}
	// The catalogue names the projects the lists show.
	if err := db.ReplaceCatalog(ctx, &portal.Catalog{Projects: []portal.CatalogProject{
		{Key: "a", Name: "Alpha renamed", ArgoID: "A"}, {Key: "b", Name: "Beta", ArgoID: "B"}}}); err != nil {
		t.Fatal(err)
	}
	if ins, _, _ := db.ArgoInstallations(ctx, metrics.InstallationQuery{Scope: all, Sort: "installation"}); ins[0].ProjectName != "Alpha renamed" {
		t.Errorf("the installations kept the project name %q after the catalogue renamed it", ins[0].ProjectName)
	}
}

// TestMemo_BillingRecordsFollowTheirSync: a page of billing records is
// kept by its range's first and last record; a record arriving between
// them, a changed record and a caller's change to its copy each leave
// that key alone, and the page still shows the data as it is.
func TestMemo_BillingRecordsFollowTheirSync(t *testing.T) {
	ctx := context.Background()
	db, _ := MustOpen(t)
	start := time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC).Unix()
	recs := hourly(start, 3)
	mustUpsert(t, db, []billing.Record{recs[0], recs[2]})
	f := billing.RecordFilter{From: time.Unix(start, 0), To: time.Unix(start+3*3600, 0), Sort: "cpu", Desc: true, Limit: 2}
	keys := func() ([]string, int64) {
		t.Helper()
		rs, total, err := db.BillingRecords(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		var ks []string
		for _, r := range rs {
			ks = append(ks, r.Key)
		}
		return ks, total
	}
	// Cores used: 8, 9, 10 for keys 1, 2, 3.
	if ks, total := keys(); total != 2 || !slices.Equal(ks, []string{"3", "1"}) {
		t.Fatalf("two records: %v of %d", ks, total)
	}
	mustUpsert(t, db, []billing.Record{recs[1]})
	if ks, total := keys(); total != 3 || !slices.Equal(ks, []string{"3", "2"}) {
		t.Fatalf("after the middle hour arrived: %v of %d", ks, total)
	}
	recs[0].UsedCores = 15
	mustUpsert(t, db, []billing.Record{recs[0]})
	if ks, total := keys(); total != 3 || !slices.Equal(ks, []string{"1", "3"}) {
		t.Fatalf("after a record changed: %v of %d", ks, total)
	}
	rs, _, _ := db.BillingRecords(ctx, f)
	rs[0].Key = "changed"
	if ks, _ := keys(); ks[0] != "1" {
		t.Error("a caller's change to its records reached the kept ones")
	}
	// Another page of the same range is its own answer.
	f.Offset = 2
	if ks, total := keys(); total != 3 || !slices.Equal(ks, []string{"2"}) {
		t.Fatalf("second page: %v of %d", ks, total)
	}
}

// TestMemo_NavCountsFollowEveryWriteAtOnce: the navigation's counts are
// kept between pages, and each write that changes one (a request
// created, decided or cancelled, a notification written or read) shows
// on the very next read.
func TestMemo_NavCountsFollowEveryWriteAtOnce(t *testing.T) {
	ctx := context.Background()
	db, _ := MustOpen(t)
	withBudgetCatalog(t, db)
	for _, u := range []portal.User{
		{Subject: "demo-admin", Name: "Ada Admin", Admin: true},
		{Subject: "demo-manager", Name: "Max Manager", Member: []string{"neuro-sim"}, Manages: []string{"neuro-sim"}},
	} {
		if err := db.RememberUser(ctx, u); err != nil {
			t.Fatal(err)
		}
	}
	counts := func(subject string, admin bool) (int, int) {
		t.Helper()
		u, p, err := db.NavCounts(ctx, subject, admin)
		if err != nil {
			t.Fatal(err)
		}
		return u, p
	}
	want := func(step, subject string, admin bool, unread, pending int) {
		t.Helper()
		// Twice: the second read is the kept answer.
		for range 2 {
			if u, p := counts(subject, admin); u != unread || p != pending {
				t.Fatalf("%s: %s has %d unread and %d pending, want %d and %d", step, subject, u, p, unread, pending)
			}
		}
	}
	want("before anything", "demo-admin", true, 0, 0)
	want("before anything", "demo-manager", false, 0, 0)

	first := newAssign(t, db, "10")
	want("a request created", "demo-admin", true, 1, 1)
	if _, p := counts("demo-manager", false); p != 0 {
		t.Errorf("a manager is told of %d pending approvals", p)
	}
	second := newAssign(t, db, "20")
	want("a second request", "demo-admin", true, 2, 2)

	n, err := db.MarkAllRead(ctx, "demo-admin")
	if err != nil || n != 2 {
		t.Fatalf("mark all read: %d %v", n, err)
	}
	want("all read", "demo-admin", true, 0, 2)

	told := func(step string, want int) {
		t.Helper()
		out, err := db.TakeBudgetOutcomes(ctx, "demo-manager")
		if err != nil || len(out) != want {
			t.Fatalf("%s: the manager is told of %d outcomes (%v), want %d", step, len(out), err, want)
		}
	}
	told("nothing decided", 0)
	if err := db.DenyBudgetRequest(ctx, first, "demo-admin", "Ada Admin", "use the lab's spare budget first"); err != nil {
		t.Fatal(err)
	}
	told("one denied", 1)
	told("the denial told", 0)
	want("one denied", "demo-admin", true, 0, 1)
	want("one denied", "demo-manager", false, 1, 0)
	items, _, err := db.Notifications(ctx, "demo-manager", notify.Filter{Limit: 10})
	if err != nil || len(items) != 1 {
		t.Fatalf("the manager's notifications: %+v %v", items, err)
	}
	if err := db.MarkRead(ctx, "demo-manager", items[0].ID); err != nil {
		t.Fatal(err)
	}
	want("the denial read", "demo-manager", false, 0, 0)

	if err := db.CancelBudgetRequest(ctx, second, "demo-manager", "Max Manager"); err != nil {
		t.Fatal(err)
	}
	want("the other cancelled", "demo-admin", true, 0, 0)

	third := newAssign(t, db, "30")
	want("a third request", "demo-admin", true, 1, 1)
	if _, err := db.ApproveBudgetRequest(ctx, third, "demo-admin", "Ada Admin"); err != nil {
		t.Fatal(err)
	}
	want("the third approved", "demo-admin", true, 1, 0)
}

// TestMemo_BillingRangeFollowsARecordAtItsStart: the first and last
// record a range holds are kept by the range's seconds; a record that
// arrives before the kept first one shows at once.
func TestMemo_BillingRangeFollowsARecordAtItsStart(t *testing.T) {
	ctx := context.Background()
	db, _ := MustOpen(t)
	start := time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC).Unix()
	recs := hourly(start, 3)
	mustUpsert(t, db, recs[1:])
	from, to := time.Unix(start, 0), time.Unix(start+3*3600, 0)
	if sum, err := db.BillingSummary(ctx, from, to); err != nil || sum.RecordCount != 2 {
		t.Fatalf("summary of the last two hours: %+v %v", sum, err)
	}
	mustUpsert(t, db, recs[:1])
	if sum, _ := db.BillingSummary(ctx, from, to); sum.RecordCount != 3 {
		t.Errorf("the summary kept %d records after the first hour arrived", sum.RecordCount)
	}
	if series, _ := db.BillingSeries(ctx, from, to, billing.BucketHour); len(series) != 3 {
		t.Errorf("the series kept %d hours after the first arrived", len(series))
	}
}

// TestMemo_SessionFollowsEveryWriteAtOnce: a session is kept between
// requests, yet a flash given or taken, a touch and a sign-out show on the
// very next look-up, and its ends are checked against the clock each time.
func TestMemo_SessionFollowsEveryWriteAtOnce(t *testing.T) {
	ctx := context.Background()
	db, now := MustOpen(t)
	tok, err := db.CreateSession(ctx, portal.User{Subject: "sub-1", Name: "Max"}, "", 12*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	look := func() *portal.Session {
		t.Helper()
		s, err := db.SessionByToken(ctx, tok, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	if s := look(); s.Flash != "" || look().User.Name != "Max" {
		t.Fatalf("a new session: %+v", s)
	}
	if err := db.SetFlash(ctx, tok, "Saved."); err != nil {
		t.Fatal(err)
	}
	if s := look(); s.Flash != "Saved." {
		t.Fatalf("the flash given is not on the session: %q", s.Flash)
	}
	if f, _ := db.TakeFlash(ctx, tok); f != "Saved." {
		t.Fatalf("flash %q", f)
	}
	if s := look(); s.Flash != "" {
		t.Fatalf("the flash taken is still on the session: %q", s.Flash)
	}
	*now = now.Add(50 * time.Minute)
	if err := db.TouchSession(ctx, tok, look().LastSeen); err != nil {
		t.Fatal(err)
	}
	if s := look(); !s.LastSeen.Equal(*now) {
		t.Fatalf("the touch is not on the session: %v, want %v", s.LastSeen, *now)
	}
	*now = now.Add(61 * time.Minute) // idle past the hour, though kept
	if _, err := db.SessionByToken(ctx, tok, time.Hour); portal.ErrorCode(err) != portal.EUNAUTHORIZED {
		t.Fatalf("an idle kept session was accepted: %v", err)
	}
	tok2, _ := db.CreateSession(ctx, portal.User{Subject: "sub-2"}, "", 12*time.Hour)
	if _, err := db.SessionByToken(ctx, tok2, time.Hour); err != nil {
		t.Fatal(err)
	}
	if err := db.DeleteSession(ctx, tok2); err != nil {
		t.Fatal(err)
	}
	if _, err := db.SessionByToken(ctx, tok2, time.Hour); portal.ErrorCode(err) != portal.EUNAUTHORIZED {
		t.Fatalf("a session signed out was accepted: %v", err)
	}
}

// TestMemo_FailedPagesAndResourcesFollowTheirSyncs: a page of failed
// records and the list of AMIE resources are kept between syncs, and a
// sync that changes them (a record cleared, changed or on a new resource)
// shows at once.
func TestMemo_FailedPagesAndResourcesFollowTheirSyncs(t *testing.T) {
	db, _ := MustOpen(t)
	amieTestCatalog(t, db)
	replace := func(recs ...usage.FailedRecord) {
		t.Helper()
		if _, err := db.ReplaceAMIEFailed(amieCtx, recs); err != nil {
			t.Fatal(err)
		}
	}
	page := func() []usage.FailedRecord {
		t.Helper()
		recs, total, err := db.ListFailed(amieCtx, usage.FailedFilter{Scope: portal.Scope{All: true}})
		if err != nil || int(total) != len(recs) {
			t.Fatalf("failed page: %d of %d, %v", len(recs), total, err)
		}
		return recs
	}
	resources := func() []string {
		t.Helper()
		names, err := db.AMIEResources(amieCtx)
		if err != nil {
			t.Fatal(err)
		}
		return names
	}
	replace(amieTestFailed(1, "TG-NEU1", "Unknown user"), amieTestFailed(2, "TG-NEU1", "Unknown user"))
	if recs := page(); len(recs) != 2 || !slices.Equal(resources(), []string{"lynx"}) {
		t.Fatalf("first sync: %d records, resources %v", len(recs), resources())
	}
	changed := amieTestFailed(2, "TG-NEU1", "Unknown user")
	changed.Charge, changed.Resource = "7.25", "puma"
	replace(changed)
	recs := page()
	if len(recs) != 1 || recs[0].Charge != "7.25" {
		t.Errorf("the page kept %+v after a sync cleared one record and changed the other", recs)
	}
	if names := resources(); !slices.Equal(names, []string{"lynx", "puma"}) {
		t.Errorf("the resources kept %v after a record on a new one arrived", names)
	}
	recs[0].Charge = "0" // a caller's copy is its own
	if again := page(); again[0].Charge != "7.25" {
		t.Error("a caller's change to its page reached the kept one")
	}
}
