package app_test

import (
	"bytes"
	"context"
	encsv "encoding/csv"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/accounting-portal/portal/internal/clients/vergeos"
	"github.com/accounting-portal/portal/internal/portal"
	"github.com/accounting-portal/portal/internal/sectest"
	"github.com/accounting-portal/portal/internal/syncer"
)

// payloadOfKey is the payload a hostile VergeOS writes into the
// description of the record with this key.
func payloadOfKey(key string) sectest.Payload {
	n, _ := strconv.Atoi(key)
	return sectest.Payloads[n%len(sectest.Payloads)]
}

// hostileVergeOS serves the VergeOS simulator with the description of
// every record it lists replaced by a payload (chosen by the record's
// key), JSON-escaped as a real server would send it.
func hostileVergeOS(t *testing.T, sim http.Handler) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := httptest.NewRecorder()
		sim.ServeHTTP(rec, r)
		body := rec.Body.Bytes()
		var rows []map[string]json.RawMessage
		if rec.Code == http.StatusOK && bytes.HasPrefix(bytes.TrimSpace(body), []byte("[")) && json.Unmarshal(body, &rows) == nil {
			for _, row := range rows {
				if _, ok := row["description"]; ok {
					row["description"], _ = json.Marshal(payloadOfKey(string(row["$key"])).Raw)
				}
			}
			body, _ = json.Marshal(rows)
		}
		for k, v := range rec.Header() {
			if k != "Content-Length" {
				w.Header()[k] = v
			}
		}
		w.WriteHeader(rec.Code)
		w.Write(body)
	}))
	t.Cleanup(srv.Close)
	return srv
}

var newRecordRE = regexp.MustCompile(`href="/billing/records/([0-9]+)" data-testid="new-record-link"`)

// TestBilling_UpstreamTextIsEscaped has the real VergeOS client sync
// from a server that answers every record with a hostile description: the
// billing page (its latest record), each record's page, the page of a
// generate request (its new record) and the records CSV carry them as
// text; the charts draw nothing that runs.
func TestBilling_UpstreamTextIsEscaped(t *testing.T) {
	t.Parallel()
	// No scheduled sync undoes the hostile one during the test (apptest's
	// intervals are an hour).
	p := startBilling(t)
	admin := p.Login(t, "admin")
	// A generate request first, so its page has a new record to describe.
	if r := admin.Post("/billing/generate", url.Values{"note": {"hostile run"}, "range": {"24h"}}); r.Status != http.StatusSeeOther {
		t.Fatalf("generate: %d", r.Status)
	}
	p.DeliverOutbox(t)
	p.TriggeredSync(t, "vergeos")
	if state, body := requestState(t, admin, "/billing/requests/1"); state != portal.OutboxDelivered || !newRecordRE.MatchString(body) {
		t.Fatalf("the generate request is %s, its new record linked: %v", state, newRecordRE.MatchString(body))
	}

	info := p.Sims.Info.VergeOS
	client, err := vergeos.New(vergeos.Config{BaseURL: hostileVergeOS(t, p.Sims.VergeOS).URL, User: info.User, Password: info.Password,
		PageSize: vergeos.MaxPageSize})
	if err != nil {
		t.Fatal(err)
	}
	// The sync re-reads the last two days: those records take the payloads.
	job := syncer.VergeOSJob(client, p.App.DB, time.Hour)
	job.Timeout = time.Minute
	if err := p.App.Sync.RunOnce(context.Background(), job); err != nil {
		t.Fatalf("the sync from the hostile server: %v", err)
	}

	viewer := p.Login(t, "viewer")
	csv := secGet(t, viewer, "/billing/records.csv?range=7d")
	keys := map[string]sectest.Payload{}
	rows, err := encsv.NewReader(strings.NewReader(csv)).ReadAll()
	if err != nil {
		t.Fatalf("records CSV: %v", err)
	}
	for _, row := range rows[1:] {
		if key := row[0]; len(keys) < 3*len(sectest.Payloads) && !strings.Contains(strings.Join(row, ","), "Hourly billing report") {
			keys[key] = payloadOfKey(key)
		}
	}
	if len(keys) < len(sectest.Payloads) {
		t.Fatalf("only %d records took a hostile description", len(keys))
	}
	for _, pl := range sectest.Payloads {
		sectest.CSV(t, csv, pl)
	}
	for key, pl := range keys {
		sectest.HTML(t, secGet(t, viewer, "/billing/records/"+key), pl)
	}
	page := secGet(t, viewer, "/billing?range=7d&sort=-created")
	sectest.Markup(t, page)
	latest := regexp.MustCompile(`data-testid="billing-latest"(?s:.*?)href="/billing/records/([0-9]+)"`).FindStringSubmatch(page)
	if latest == nil {
		t.Fatal("the billing page shows no latest record")
	}
	sectest.HTML(t, page, payloadOfKey(latest[1]))
	for _, svg := range svgs(t, page) {
		sectest.Markup(t, svg)
	}
	item := secGet(t, admin, "/billing/requests/1")
	m := newRecordRE.FindStringSubmatch(item)
	if m == nil {
		t.Fatal("the generate request's page lost its new record")
	}
	sectest.HTML(t, item, payloadOfKey(m[1]))
}
