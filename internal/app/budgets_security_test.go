package app_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/accounting-portal/portal/internal/sectest"
)

// simJob makes a finished, charged oneshot job named name in the OBI
// simulator, through its API as the SDK would.
func simJob(t *testing.T, base, projID, name string) {
	t.Helper()
	post := func(path string, body map[string]any) map[string]any {
		b, _ := json.Marshal(body)
		r, err := http.Post(base+path, "application/json", bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		defer r.Body.Close()
		var out map[string]any
		json.NewDecoder(r.Body).Decode(&out)
		if r.StatusCode != http.StatusCreated {
			t.Fatalf("POST %s: %d %v", path, r.StatusCode, out)
		}
		return out
	}
	res := post("/reservation/oneshot", map[string]any{"type": "oneshot", "subtype": "ml-llm", "proj_id": projID,
		"user_id": "76693c58-8f5d-45b8-bb41-dbc3599402f5", "name": name, "count": 10})
	jobID := res["data"].(map[string]any)["job_id"]
	post("/usage/oneshot", map[string]any{"type": "oneshot", "subtype": "ml-llm", "proj_id": projID, "job_id": jobID,
		"name": name, "count": 10, "timestamp": time.Now().Unix()})
}

// Text typed by people (justifications) and sent by OBI (job names) is
// shown as text on every page and neutralised in every CSV.
func TestBudgets_HostileTextIsEscaped(t *testing.T) {
	p := obiPortal(t, nil)
	manager, admin := p.Login(t, "manager"), p.Login(t, "admin")
	ns := project(t, p.Sims.World, "neuro-sim")
	var ids []int64
	for _, pl := range sectest.Payloads {
		f := assignForm("neuro-sim", "1")
		f.Set("justification", pl.Raw)
		f.Set("confirm_duplicate", "1") // the same assignment, once per payload
		ids = append(ids, request(t, manager, f))
		simJob(t, p.Sims.Info.OBI.URL, ns.OBIID, pl.Raw)
	}
	p.Sims.OBI.RunChargers()
	syncNow(t, p)
	inbox, reqCSV := admin.Get("/approvals").Body, admin.Get("/approvals.csv").Body
	jobs := manager.Get("/budgets/projects/neuro-sim?range=24h&size=100").Body
	jobsCSV := manager.Get("/budgets/projects/neuro-sim/jobs.csv?range=24h").Body
	for i, pl := range sectest.Payloads {
		sectest.HTML(t, inbox, pl)
		sectest.HTML(t, admin.Get("/requests/"+strconv.FormatInt(ids[i], 10)).Body, pl)
		sectest.HTML(t, jobs, pl)
		sectest.CSV(t, reqCSV, pl)
		sectest.CSV(t, jobsCSV, pl)
	}
}
