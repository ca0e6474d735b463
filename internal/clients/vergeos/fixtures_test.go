package vergeos

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/accounting-portal/portal/internal/portal"
)

// fixtureDir holds copies of the VergeOS reference examples (see its SOURCES.md).
const fixtureDir = "testdata/upstream"

func readFixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(fixtureDir, name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// serveFixture starts a server answering every request with status and body.
func serveFixture(t *testing.T, status int, body []byte) *Client {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		w.Write(body)
	}))
	t.Cleanup(srv.Close)
	c, err := New(Config{BaseURL: srv.URL, User: "u", Password: "p"})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// sampleRecord is billing-record.pyvergeos-test.json as the client must decode it.
var sampleRecord = BillingRecord{
	Key: "1", Created: 1704067200, From: 1704063600, To: 1704067200, Sent: 1704067201,
	Description: "Billing report for January",
	UsedCores:   32, TotalCores: 64, OnlineCores: 60, TotalNodes: 4, OnlineNodes: 4, RunningMachines: 25,
	UsedRAM: 65536, TotalRAM: 131072, OnlineRAM: 131072,
	PhysRAMUsed: 68719476736, PhysVRAMUsed: 17179869184, PhysTotalCPU: 75,
	Tiers:     [NumTiers]Tier{{107374182400, 1099511627776}, {536870912000, 2199023255552}},
	GPUsTotal: 4, GPUs: 2, GPUsIdle: 2, VGPUsTotal: 8, VGPUs: 4, VGPUsIdle: 4,
	WorkloadDatapoints: 1000, StorageDatapoints: 500,
}

// TestFixtures covers every .json example in the shared folder; a new
// file there fails the test until it is covered.
func TestFixtures(t *testing.T) {
	checks := map[string]func(t *testing.T, b []byte){
		"billing-record.pyvergeos-test.json": func(t *testing.T, b []byte) {
			r, err := serveFixture(t, 200, b).Get(context.Background(), "1")
			if err != nil || r != sampleRecord {
				t.Fatalf("Get: %v\n got %+v\nwant %+v", err, r, sampleRecord)
			}
			// A single object where a list is expected is a one-element list.
			rs, err := serveFixture(t, 200, b).ListCreated(context.Background(), Window{})
			if err != nil || len(rs) != 1 || rs[0] != sampleRecord {
				t.Fatalf("list of one object: %v %+v", err, rs)
			}
			if at, ok := r.SentAt(); !ok || at.Unix() != 1704067201 {
				t.Fatalf("SentAt %v %v", at, ok)
			}
		},
		"billing-list.pyvergeos-test.json": func(t *testing.T, b []byte) {
			rs, err := serveFixture(t, 200, b).ListCreated(context.Background(), Window{})
			if err != nil || len(rs) != 2 {
				t.Fatalf("%v %d", err, len(rs))
			}
			if rs[0].Key != "2" || rs[0].UsedCores != 40 || rs[0].GPUs != 3 || rs[0].Tiers[1].Used != 644245094400 || rs[0].Description != "Second billing record" {
				t.Fatalf("record 2: %+v", rs[0])
			}
			// Neither record has "sent": not reported.
			for _, r := range rs {
				if r.Sent != 0 || r.Reported() {
					t.Fatalf("record %s without sent: %d", r.Key, r.Sent)
				}
			}
			want := sampleRecord
			want.Sent, want.Description = 0, "First billing record"
			if rs[1] != want {
				t.Fatalf("record 1:\n got %+v\nwant %+v", rs[1], want)
			}
		},
		"error-404.govergeos-test.json": func(t *testing.T, b []byte) {
			_, err := serveFixture(t, 404, b).Get(context.Background(), "99")
			var pe *portal.Error
			if !errors.As(err, &pe) || pe.Code != portal.ENOTFOUND || pe.Status != 404 || !strings.Contains(pe.Message, "not found") || !strings.Contains(pe.Message, "VergeOS") {
				t.Fatalf("404: %#v", err)
			}
		},
		"post-create-response.pyvergeos-test.json": func(t *testing.T, b []byte) {
			g, err := serveFixture(t, 201, b).Generate(context.Background())
			if err != nil || g.Status != 201 || g.Key != "abc123def456" || g.Row != 1 || g.Table() != "vsan_queries" ||
				g.Location != "/v4/vsan_queries/abc123def456" || g.DBPath != "vsan_queries/abc123def456" {
				t.Fatalf("%v %+v", err, g)
			}
			if _, ok := g.Key.Int64(); ok {
				t.Fatal("a string key read as an integer")
			}
		},
		"system-validate.pyvergeos-test.json": func(t *testing.T, b []byte) {
			want := SystemInfo{Key: "1", YBVersion: "4.12.0", OSVersion: "26.0", CloudName: "test-cloud"}
			for _, body := range [][]byte{b, append(append([]byte("["), b...), ']')} {
				info, err := serveFixture(t, 200, body).System(context.Background())
				if err != nil || info != want {
					t.Fatalf("%v %+v", err, info)
				}
			}
		},
	}
	files, err := filepath.Glob(filepath.Join(fixtureDir, "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no fixtures in %s: %v", fixtureDir, err)
	}
	for _, f := range files {
		name := filepath.Base(f)
		check, ok := checks[name]
		if !ok {
			t.Errorf("fixture %s is not covered by a test", name)
			continue
		}
		t.Run(name, func(t *testing.T) { check(t, readFixture(t, name)) })
	}
}
