package syncer

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/accounting-portal/portal/internal/clients/argo"
)

// gatedSource is an ARGO source whose project reads are driven by the
// test: read decides what EachProjectMetric of a project does.
type gatedSource struct {
	ArgoSource
	read func(ctx context.Context, project string) error

	mu           sync.Mutex
	called       []string
	active, peak int
}

func (s *gatedSource) EachProjectMetric(ctx context.Context, p string, _ argo.MetricFilter, _ func([]argo.Metric) error) error {
	s.mu.Lock()
	s.called = append(s.called, p)
	s.active++
	s.peak = max(s.peak, s.active)
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.active--
		s.mu.Unlock()
	}()
	return s.read(ctx, p)
}

// guard bounds a wait that a correct reader ends, so a broken one fails
// the test instead of hanging it.
const guard = 10 * time.Second

func windowsOf(projects ...string) map[string]time.Time {
	w := map[string]time.Time{}
	for _, p := range projects {
		w[p] = time.Time{}
	}
	return w
}

func TestArgoReadAll_FirstErrorStopsTheOthersAndIsReported(t *testing.T) {
	boom := errors.New("metrics endpoint broke")
	aStarted := make(chan struct{})
	var aEnded error
	src := &gatedSource{read: func(ctx context.Context, p string) error {
		switch p {
		case "a": // still reading when b fails: must be cancelled
			close(aStarted)
			select {
			case <-ctx.Done():
				aEnded = context.Cause(ctx)
				return ctx.Err()
			case <-time.After(guard):
				aEnded = errors.New("not cancelled")
				return aEnded
			}
		case "b":
			<-aStarted
			return boom
		}
		return nil
	}}
	r := &argoMetricReader{src: src, store: openDB(t), batch: 10, newest: map[string]time.Time{}, knownDefs: map[string]bool{}}
	_, err := r.readAll(context.Background(), windowsOf("a", "b", "c", "d", "e", "f"), 2)
	if !errors.Is(err, boom) || !strings.Contains(err.Error(), "project b") {
		t.Fatalf("readAll returned %v, want the error of project b", err)
	}
	if !errors.Is(aEnded, boom) {
		t.Fatalf("the project still being read ended with %v, want cancelled by b's error", aEnded)
	}
	// Projects c-f wait for a free worker; once b failed none is read.
	slices.Sort(src.called)
	if !slices.Equal(src.called, []string{"a", "b"}) {
		t.Fatalf("projects read: %v, want only a and b", src.called)
	}
}

func TestArgoReadAll_ReadsEveryProjectAtMostWorkersAtOnce(t *testing.T) {
	const workers = 3
	var mu sync.Mutex
	arrived := 0
	full := make(chan struct{})
	src := &gatedSource{read: func(ctx context.Context, p string) error {
		// The first reads wait until workers of them run together, so the
		// bound is reached; a reader running more at once shows in peak.
		mu.Lock()
		arrived++
		if arrived == workers {
			close(full)
		}
		first := arrived <= workers
		mu.Unlock()
		if first {
			select {
			case <-full:
			case <-time.After(guard):
				return errors.New("fewer readers ran at once than the bound")
			}
		}
		return nil
	}}
	projects := []string{"p1", "p2", "p3", "p4", "p5", "p6", "p7"}
	r := &argoMetricReader{src: src, store: openDB(t), batch: 10, newest: map[string]time.Time{}, knownDefs: map[string]bool{}}
	if _, err := r.readAll(context.Background(), windowsOf(projects...), workers); err != nil {
		t.Fatal(err)
	}
	slices.Sort(src.called)
	if !slices.Equal(src.called, projects) || src.peak != workers {
		t.Fatalf("read %v with up to %d at once, want every project once with up to %d", src.called, src.peak, workers)
	}
}

func TestArgoReadAll_ACancelledRunIsAnError(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	src := &gatedSource{read: func(context.Context, string) error { return nil }}
	r := &argoMetricReader{src: src, store: openDB(t), batch: 10, newest: map[string]time.Time{}, knownDefs: map[string]bool{}}
	if _, err := r.readAll(ctx, windowsOf("a", "b"), 2); !errors.Is(err, context.Canceled) {
		t.Fatalf("a cancelled run returned %v; its unread projects would be swept", err)
	}
	if len(src.called) != 0 {
		t.Fatalf("a cancelled run read %v", src.called)
	}
}
