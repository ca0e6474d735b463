package app_test

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/accounting-portal/portal/internal/app/apptest"
	"github.com/accounting-portal/portal/internal/notify"
	"github.com/accounting-portal/portal/internal/sim/fault"
)

// TestNotify_PendingReminderAndFailingSource: the events that time
// raises reach the admins through the whole stack. A request left pending
// past the reminder age is recalled; an upstream whose syncs have failed
// for longer than the failing time is reported, once for the stretch, with
// its error; a good sync ends the stretch.
func TestNotify_PendingReminderAndFailingSource(t *testing.T) {
	t.Parallel()
	// Sessions outlast the days the clock skips.
	p := apptest.Start(t, apptest.Options{Upstreams: []string{"obi"}, Env: map[string]string{
		"PORTAL_PENDING_REMINDER_DAYS": "2", "PORTAL_SOURCE_FAILING_AFTER": "1h", "PORTAL_SESSION_IDLE": "100h", "PORTAL_SESSION_MAX": "200h"}})
	admin, manager := p.Login(t, "admin"), p.Login(t, "manager")
	adminEvents := func(kind string) []map[string]string {
		var out []map[string]string
		for _, rec := range apptest.CSVRecords(t, admin.Get("/notifications.csv")) {
			if rec["kind"] == kind {
				out = append(out, rec)
			}
		}
		return out
	}

	id := request(t, manager, assignForm("neuro-sim", "7"))
	p.Clock.Advance(49 * time.Hour)
	p.NotifyNow()
	p.NotifyNow()
	reminders := adminEvents(notify.KindRequestPending)
	if len(reminders) != 1 || !strings.HasSuffix(reminders[0]["link"], "/requests/"+strconv.FormatInt(id, 10)) {
		t.Fatalf("after two days pending, two notifier rounds: reminders %v, want one of request %d", reminders, id)
	}
	p.Clock.Advance(48 * time.Hour)
	p.NotifyNow()
	if n := len(adminEvents(notify.KindRequestPending)); n != 2 {
		t.Errorf("two more days pending: %d reminders, want 2", n)
	}

	p.Sims.OBI.Faults().Set(fault.Fault{Mode: fault.Outage})
	failedSync := func() {
		t.Helper()
		run, err := p.App.Sync.SyncNow(context.Background(), "obi")
		if err == nil && run.Error == "" {
			t.Fatal("an OBI sync during an outage succeeded")
		}
	}
	// The stretch runs from the first failed run; no later run is needed
	// for it to grow.
	failedSync()
	p.Clock.Advance(30 * time.Minute)
	p.NotifyNow()
	if n := len(adminEvents(notify.KindSourceFailing)); n != 0 {
		t.Fatalf("OBI failing for 30 minutes: %d alerts, want none before an hour", n)
	}
	p.Clock.Advance(31 * time.Minute)
	p.NotifyNow()
	alerts := adminEvents(notify.KindSourceFailing)
	if len(alerts) != 1 || !strings.HasPrefix(alerts[0]["title"], "OBI budgets has been failing for 61 minutes") {
		t.Fatalf("OBI failing for over an hour: alerts %v, want one naming the source", alerts)
	}
	// More failures in the same stretch raise nothing more; a good run
	// ends it, and the next outage is a new stretch with its own alert.
	p.Clock.Advance(2 * time.Hour)
	p.NotifyNow()
	if n := len(adminEvents(notify.KindSourceFailing)); n != 1 {
		t.Errorf("the same outage two hours on: %d alerts, want still 1", n)
	}
	p.Sims.OBI.Faults().Clear()
	p.SyncNow(t, "obi")
	p.Sims.OBI.Faults().Set(fault.Fault{Mode: fault.Outage})
	failedSync()
	p.Clock.Advance(61 * time.Minute)
	failedSync()
	p.NotifyNow()
	if n := len(adminEvents(notify.KindSourceFailing)); n != 2 {
		t.Errorf("a second outage of over an hour after a good sync: %d alerts, want 2", n)
	}
}
