package syncer_test

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/accounting-portal/portal/internal/clients/obi"
	"github.com/accounting-portal/portal/internal/portal"
	"github.com/accounting-portal/portal/internal/syncer"
)

// brokenReportSource fails every report page of one project and notes
// how many reports are read at once.
type brokenReportSource struct {
	syncer.OBISource
	broken string

	mu           sync.Mutex
	read         map[string]bool
	active, peak int
}

func (s *brokenReportSource) ProjectReportPage(ctx context.Context, projID string, page, size int) (obi.JobPage, error) {
	s.mu.Lock()
	s.read[projID] = true
	s.active++
	s.peak = max(s.peak, s.active)
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.active--
		s.mu.Unlock()
	}()
	if projID == s.broken {
		return obi.JobPage{}, portal.Errorf(portal.EUNAVAILABLE, "OBI: report of %s: 502 Bad Gateway", projID)
	}
	return s.OBISource.ProjectReportPage(ctx, projID, page, size)
}

// One project's report failing is reported in the run's error; unlike an
// ARGO read, it does not stop the other projects' walks, which are stored.
func TestSyncOBI_AFailingReportIsReportedAndTheOthersAreStillWalked(t *testing.T) {
	f := newOBIFixture(t, 1, false)
	broken := f.w.Projects[0]
	src := &brokenReportSource{OBISource: f.client, broken: broken.OBIID, read: map[string]bool{}}
	const workers = 2
	_, err := syncer.SyncOBI(context.Background(), src, f.db, syncer.OBIOptions{Now: f.clock, Workers: workers, PageSize: 100})
	if portal.ErrorCode(err) != portal.EUNAVAILABLE || !strings.Contains(portal.ErrorMessage(err), "jobs of "+broken.Key) {
		t.Fatalf("sync with one broken report: %v", err)
	}
	jobs := dump(t, f.db, "obi_jobs")["obi_jobs"]
	for _, p := range f.w.Projects[1:] {
		n := 0
		for _, r := range jobs {
			if strings.Contains(r, p.OBIID) {
				n++
			}
		}
		if !src.read[p.OBIID] || n == 0 {
			t.Errorf("%s: read %v, %d jobs stored; a broken report elsewhere must not stop it", p.Key, src.read[p.OBIID], n)
		}
	}
	for _, r := range jobs {
		if strings.Contains(r, broken.OBIID) {
			t.Fatalf("a job of the broken report was stored: %s", r)
		}
	}
	if src.peak > workers {
		t.Fatalf("%d reports read at once, the bound is %d", src.peak, workers)
	}
}
