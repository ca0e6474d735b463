package vergeos

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/accounting-portal/portal/internal/sim/world"
)

// discard is a ResponseWriter that drops the body, so the benchmark
// measures the simulator and not a buffer of the whole answer.
type discard struct {
	h http.Header
	n int64
}

func (d *discard) Header() http.Header         { return d.h }
func (d *discard) Write(b []byte) (int, error) { d.n += int64(len(b)); return len(b), nil }
func (d *discard) WriteHeader(int)             {}

// BenchmarkListAll_Scale100 answers an unlimited listing of the whole
// scale-100 history (about twenty years of hourly records): records are
// computed and streamed one at a time, so allocations stay flat.
func BenchmarkListAll_Scale100(b *testing.B) {
	s := newTestServer(b, Options{World: world.New(1, 100)})
	req := httptest.NewRequest("GET", "/api/v4/billing?sort=-created&limit=0", nil)
	req.SetBasicAuth(DefaultUser, DefaultPassword)
	b.ReportAllocs()
	var w *discard
	for range b.N {
		w = &discard{h: http.Header{}}
		s.ServeHTTP(w, req)
	}
	b.ReportMetric(float64(s.RecordCount()), "records/op")
	b.ReportMetric(float64(w.n)/(1<<20), "MiB/op")
}

// BenchmarkPageDeep_Scale100 answers one page of 1000 deep inside the
// history with a created window, as a sync does.
func BenchmarkPageDeep_Scale100(b *testing.B) {
	s := newTestServer(b, Options{World: world.New(1, 100)})
	start := s.HistoryStart().Unix() + 10*365*86400
	req := httptest.NewRequest("GET", "/api/v4/billing?sort=%2Bcreated&limit=1000&offset=5000&filter=created+gt+"+itoa(start), nil)
	req.SetBasicAuth(DefaultUser, DefaultPassword)
	b.ReportAllocs()
	for range b.N {
		s.ServeHTTP(&discard{h: http.Header{}}, req)
	}
}
