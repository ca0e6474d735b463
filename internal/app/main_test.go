package app_test

import (
	"context"
	"fmt"
	"os"
	"sync"
	"testing"

	"github.com/accounting-portal/portal/internal/app/apptest"
	"github.com/accounting-portal/portal/internal/budgets"
	"github.com/accounting-portal/portal/internal/portal"
)

// shared is one portal with all four upstreams, synced once, for the tests
// that only read: the security route table, the scope and CSV-twin checks,
// the pages. It starts on first use and stops after the last test. A test
// that writes anything an upstream or another test could see (a request,
// a push, an upload, a generate, a sync, a fault, the clock, the identity
// provider's claims, failed sign-ins) starts a portal of its own.
var shared struct {
	once sync.Once
	p    *apptest.Portal
	err  error
}

// sharedPortal returns the shared read-only portal, starting it if needed.
func sharedPortal(t *testing.T) *apptest.Portal {
	t.Helper()
	shared.once.Do(func() { shared.p, shared.err = apptest.Launch(apptest.Options{}) })
	if shared.err != nil {
		t.Fatalf("the shared portal did not start: %v", shared.err)
	}
	return shared.p
}

func TestMain(m *testing.M) {
	code := m.Run()
	if shared.p != nil {
		if err := sharedStayedReadOnly(shared.p); err != nil && code == 0 {
			fmt.Fprintln(os.Stderr, err)
			code = 1
		}
		if err := shared.p.Close(); err != nil {
			fmt.Fprintln(os.Stderr, "the shared portal stopped with", err)
			if code == 0 {
				code = 1
			}
		}
	}
	os.Exit(code)
}

// sharedStayedReadOnly checks that no test wrote to the shared portal: its
// outbox is empty and each upstream synced only at start. (A test that
// wrote would make the others depend on the order they run in.)
func sharedStayedReadOnly(p *apptest.Portal) error {
	ctx := context.Background()
	counts, err := p.App.DB.OutboxCounts(ctx)
	if err != nil {
		return err
	}
	if len(counts) != 0 {
		return fmt.Errorf("a test wrote to the shared portal: its outbox holds %v; start a portal of its own (apptest.Start)", counts)
	}
	if _, n, err := p.App.DB.ListBudgetRequests(ctx, budgets.RequestFilter{}); err != nil || n != 0 {
		return fmt.Errorf("a test asked for budget on the shared portal (%d requests, %v); start a portal of its own (apptest.Start)", n, err)
	}
	for _, u := range portal.Upstreams {
		runs, err := p.App.DB.RecentSyncRuns(ctx, u, 2)
		if err != nil {
			return err
		}
		if len(runs) != 1 {
			return fmt.Errorf("a test synced %s on the shared portal (%d runs); start a portal of its own (apptest.Start)", u, len(runs))
		}
	}
	return nil
}
