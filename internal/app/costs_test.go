package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/big"
	"mime/multipart"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/accounting-portal/portal/internal/app/apptest"
	"github.com/accounting-portal/portal/internal/clients/obi"
	"github.com/accounting-portal/portal/internal/portal"
)

// The whole flow: the upstreams are synced, a manager sends usage records,
// an admin imports a rate card (VergeOS priced in CHF, AMIE in USD) and
// then changes the core-hour price from the 15th of last month and the
// CHF exchange rate from the 20th. Last month's statement of neuro-sim is
// then recomputed here by hand, from the simulators' own data and with
// exact rational arithmetic, and must agree to the cent, line by line.

// handCard is the rate card the test imports.
const handCard = `{"base_currency": "EUR",
 "rates": [
  {"source": "vergeos", "measure": "cpu_core_hours", "scope": "*", "price": "0.012", "currency": "CHF", "valid_from": "2020-01-01"},
  {"source": "vergeos", "measure": "gpu_hours", "scope": "*", "price": "0.85", "currency": "CHF", "valid_from": "2020-01-01"},
  {"source": "vergeos", "measure": "ram_gb_hours", "scope": "*", "price": "0.002", "currency": "EUR", "valid_from": "2020-01-01"},
  {"source": "vergeos", "measure": "storage_tier1_gb_hours", "scope": "*", "price": "0.00006", "currency": "CHF", "valid_from": "2020-01-01"},
  {"source": "argo", "measure": "cpu_hours", "scope": "*", "price": "0.015", "currency": "EUR", "valid_from": "2020-01-01"},
  {"source": "amie", "measure": "su", "scope": "*", "price": "0.01", "currency": "USD", "valid_from": "2020-01-01"},
  {"source": "obi", "measure": "credits", "scope": "*", "price": "1.00", "currency": "EUR", "valid_from": "2020-01-01"}],
 "fx": [{"currency": "CHF", "per_base": "0.94", "valid_from": "2020-01-01"},
        {"currency": "USD", "per_base": "1.08", "valid_from": "2020-01-01"}]}`

func rat(t *testing.T, s string) *big.Rat {
	t.Helper()
	r, ok := new(big.Rat).SetString(s)
	if !ok {
		t.Fatalf("%q is not a number", s)
	}
	return r
}

// cents rounds x half to even to 2 decimals and writes it as "12.34".
func cents(x *big.Rat) string {
	y := new(big.Rat).Mul(x, big.NewRat(100, 1))
	q, r := new(big.Int).QuoRem(y.Num(), y.Denom(), new(big.Int))
	// r/den is the fraction left, with the sign of y.
	twice := new(big.Int).Mul(new(big.Int).Abs(r), big.NewInt(2))
	switch c := twice.Cmp(y.Denom()); {
	case c > 0, c == 0 && q.Bit(0) == 1:
		if y.Sign() < 0 {
			q.Sub(q, big.NewInt(1))
		} else {
			q.Add(q, big.NewInt(1))
		}
	}
	neg := q.Sign() < 0
	s := new(big.Int).Abs(q).String()
	for len(s) < 3 {
		s = "0" + s
	}
	s = s[:len(s)-2] + "." + s[len(s)-2:]
	if neg {
		s = "-" + s
	}
	return s
}

// handLine is one statement line recomputed by hand: a source, measure
// and scope at one price and one exchange rate.
type handLine struct {
	source, measure, scope string
	price, fx              *big.Rat
	qty, base              *big.Rat
}

type handStatement map[string]*handLine

// add prices qty of one day at price (in a currency converting at fx
// units per EUR).
func (h handStatement) add(source, measure, scope string, price, fx, qty *big.Rat) {
	k := source + "|" + measure + "|" + scope + "|" + price.RatString() + "|" + fx.RatString()
	l := h[k]
	if l == nil {
		l = &handLine{source: source, measure: measure, scope: scope, price: price, fx: fx, qty: new(big.Rat), base: new(big.Rat)}
		h[k] = l
	}
	l.qty.Add(l.qty, qty)
	amount := new(big.Rat).Mul(qty, price)
	l.base.Add(l.base, amount.Quo(amount, fx))
}

type stmtJSON struct {
	Month  string `json:"month"`
	Base   string `json:"base_currency"`
	Total  string `json:"total"`
	Totals map[string]string
	Lines  []struct {
		Source, Measure, Scope        string
		Quantity                      string `json:"quantity"`
		Price                         string `json:"price"`
		FX                            string `json:"fx_currency_per_base"`
		Charged                       string `json:"charged"`
		FirstDay                      string `json:"first_day"`
		LastDay                       string `json:"last_day"`
		RateVersion                   int64  `json:"rate_version"`
		Currency                      string `json:"currency"`
		AmountBase                    string `json:"amount_base_exact"`
		PriceUnit                     string `json:"price_unit"`
		Reason                        string `json:"unpriced_reason"`
		Unit                          string `json:"quantity_unit"`
		ScopeName                     string `json:"scope_name"`
		Days                          int    `json:"days"`
		Amount                        string `json:"amount_in_currency"`
		FXVersion                     int64  `json:"fx_version"`
		ProjectKey, Project, DataAsOf string
	} `json:"lines"`
	Unpriced []struct {
		Source, Measure string
		Quantity        string `json:"quantity"`
		Reason          string `json:"unpriced_reason"`
	} `json:"unpriced"`
}

func getStatement(t *testing.T, b *apptest.Browser, path string) stmtJSON {
	t.Helper()
	r := b.Get(path)
	if r.Status != 200 || !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		t.Fatalf("%s: %d %.300s", path, r.Status, r.Body)
	}
	var st stmtJSON
	if err := json.Unmarshal([]byte(r.Body), &st); err != nil {
		t.Fatal(err)
	}
	return st
}

// postCard imports a rate card through the rate card page's upload form.
func postCard(t *testing.T, b *apptest.Browser, card string) *apptest.Response {
	t.Helper()
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	w.WriteField("csrf_token", b.CSRF())
	fw, _ := w.CreateFormFile("card", "card.json")
	io.WriteString(fw, card)
	w.Close()
	return b.Do("POST", "/costs/rates.json", &body, w.FormDataContentType(), nil)
}

func TestCosts_StatementRecomputedByHandToTheCent(t *testing.T) {
	t.Parallel()
	p := apptest.Start(t, apptest.Options{})
	p.WaitSynced(t, "argo", "obi", "amie", "vergeos")
	ctx := context.Background()
	now := time.Now().UTC()
	month := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC).AddDate(0, -1, 0) // last month, complete
	end := month.AddDate(0, 1, 0)
	mid, fxDay := month.AddDate(0, 0, 14), month.AddDate(0, 0, 19)
	ym := month.Format("2006-01")
	manager, admin, managerB := p.Login(t, "manager"), p.Login(t, "admin"), p.Login(t, "manager-b")
	w := p.Sims.World
	proj := w.Projects[0] // neuro-sim

	// The manager sends three records of last month to AMIE.
	amieProj := p.Sims.AMIE.Projects()[0]
	resource := p.Sims.AMIE.Resources()[0]
	sent := []struct {
		id     string
		day    int
		charge string
	}{{"hand-1", 2, "1500.25"}, {"hand-2", 9, "1200"}, {"hand-3", 20, "987.65"}}
	var csvb strings.Builder
	csvb.WriteString("Username,LocalProjectID,LocalRecordID,Resource,SubmitTime,StartTime,EndTime,Charge,NodeCount\n")
	for i, r := range sent {
		s := month.AddDate(0, 0, r.day-1).Add(3 * time.Hour)
		fmt.Fprintf(&csvb, "%s,%s,%s,%s,%s,%s,%s,%s,1\n", amieProj.Members[i%len(amieProj.Members)], amieProj.LocalProjectID, r.id, resource,
			s.Format(time.RFC3339), s.Add(time.Minute).Format(time.RFC3339), s.Add(time.Hour).Format(time.RFC3339), r.charge)
	}
	upload := usageUploadID(t, postUsageUpload(t, manager, "compute", "hand.csv", csvb.String()))
	apptest.WaitFor(t, time.Minute, "the upload delivered", func() bool {
		u, err := p.App.DB.UsageUploadByID(ctx, upload)
		return err == nil && u.State == "delivered"
	})
	// AMIE's sync (and with it the ledger) runs a while after a delivery; run it now.
	if err := p.App.Sync.Trigger(portal.UpstreamAMIE); err != nil {
		t.Fatal(err)
	}

	// The admin imports the card; a card with problems is refused whole first.
	if r := postCard(t, admin, `{"base_currency": "CHF", "rates": [{"source": "vergeos", "measure": "cores"}], "fx": []}`); r.Status != http.StatusUnprocessableEntity ||
		!strings.Contains(r.Body, "base_currency is &#34;CHF&#34;") || !strings.Contains(r.Body, "rates[0].measure") || !strings.Contains(r.Body, "rates[0].price") {
		t.Fatalf("a bad card: %d %s", r.Status, r.Body)
	}
	if r := postCard(t, admin, handCard); r.Status != http.StatusSeeOther {
		t.Fatalf("import: %d %s", r.Status, r.Body)
	}
	if r := admin.Get("/costs/rates"); !strings.Contains(r.Body, "Rate card imported: 7 rate versions and 2 exchange rates added") {
		t.Fatalf("no import message: %s", r.Body)
	}
	apptest.WaitFor(t, time.Minute, "the AMIE records in the ledger", func() bool {
		st := getStatement(t, manager, "/projects/neuro-sim/statements/"+ym+".json")
		return st.Totals["amie"] != ""
	})

	// Before the change, last month's core-hours are one line at 0.012.
	before := getStatement(t, manager, "/projects/neuro-sim/statements/"+ym+".json")
	ledgerBefore := apptest.CSVRecords(t, manager.Get("/projects/neuro-sim.csv?month="+ym))
	// The admin changes the core-hour price from the 15th, and the CHF rate from the 20th.
	r := admin.Post("/costs/rates", url.Values{"source": {"vergeos"}, "measure": {"cpu_core_hours"}, "scope": {"*"}, "price": {"0.015"},
		"currency": {"CHF"}, "valid_from": {mid.Format("2006-01-02")}})
	if r.Status != http.StatusSeeOther {
		t.Fatalf("new rate: %d %s", r.Status, r.Body)
	}
	if r := admin.Get("/costs/rates"); !strings.Contains(r.Body, "ledger lines priced again, from "+mid.Format("2006-01-02")) {
		t.Fatalf("the new rate did not price again from the 15th: %s", flashOf(r.Body))
	}
	ledgerMid := apptest.CSVRecords(t, manager.Get("/projects/neuro-sim.csv?month="+ym))
	r = admin.Post("/costs/fx", url.Values{"currency": {"CHF"}, "per_base": {"0.96"}, "valid_from": {fxDay.Format("2006-01-02")}})
	if r.Status != http.StatusSeeOther {
		t.Fatalf("new FX: %d %s", r.Status, r.Body)
	}
	after := getStatement(t, manager, "/projects/neuro-sim/statements/"+ym+".json")

	// Exactly the days from the 15th changed, and only the core-hours.
	if len(ledgerBefore) != len(ledgerMid) || len(ledgerBefore) == 0 {
		t.Fatalf("ledger lines %d before, %d after", len(ledgerBefore), len(ledgerMid))
	}
	changed := 0
	for i, b := range ledgerBefore {
		a := ledgerMid[i]
		same := b["amount_EUR"] == a["amount_EUR"] && b["rate_version"] == a["rate_version"]
		wantSame := b["measure"] != "cpu_core_hours" || b["day"] < mid.Format("2006-01-02")
		if same != wantSame {
			t.Errorf("%s %s %s: repriced %v", b["day"], b["source"], b["measure"], !same)
		}
		if !same {
			changed++
		}
	}
	if want := end.Sub(mid).Hours() / 24; changed != int(want) {
		t.Errorf("%d core-hour days repriced, want the %v from the 15th", changed, want)
	}

	// By hand: VergeOS, from the tenant's long history in the simulator.
	st := handStatement{}
	chf := func(d time.Time) *big.Rat {
		if d.Before(fxDay) {
			return rat(t, "0.94")
		}
		return rat(t, "0.96")
	}
	eur, usd := rat(t, "1"), rat(t, "1.08")
	var tenant string
	var tenantKey int64
	for _, tn := range p.Sims.VergeOS.Tenants() {
		if tn.Project == proj.Key {
			tenant, tenantKey = tn.Name, tn.Key
		}
	}
	samples := p.Sims.VergeOS.TenantHistoryLong(tenantKey, month.Unix()+3600, end.Unix())
	if len(samples) != int(end.Sub(month).Hours()) {
		t.Fatalf("%d samples for a month of hours", len(samples))
	}
	type dayUse struct{ cores, gpus, ram, tier1 *big.Rat }
	days := map[int64]*dayUse{}
	for _, s := range samples {
		d := (s.Timestamp - 3600) / 86400 * 86400 // each sample stands for the hour before it
		u := days[d]
		if u == nil {
			u = &dayUse{new(big.Rat), new(big.Rat), new(big.Rat), new(big.Rat)}
			days[d] = u
		}
		u.cores.Add(u.cores, big.NewRat(s.CoreCount, 1))
		u.gpus.Add(u.gpus, big.NewRat(s.GPUsUsed, 1))
		u.ram.Add(u.ram, big.NewRat(s.RAMUsed, 1024))
		u.tier1.Add(u.tier1, big.NewRat(s.TierUsed[1], 1<<30))
	}
	for d, u := range days {
		day := time.Unix(d, 0).UTC()
		corePrice := rat(t, "0.012")
		if !day.Before(mid) {
			corePrice = rat(t, "0.015")
		}
		st.add("vergeos", "cpu_core_hours", tenant, corePrice, chf(day), u.cores)
		if u.gpus.Sign() > 0 {
			st.add("vergeos", "gpu_hours", tenant, rat(t, "0.85"), chf(day), u.gpus)
		}
		st.add("vergeos", "ram_gb_hours", tenant, rat(t, "0.002"), eur, u.ram)
		st.add("vergeos", "storage_tier1_gb_hours", tenant, rat(t, "0.00006"), chf(day), u.tier1)
	}
	// ARGO: the cpu_hours of the project's installations, from the simulator.
	cpuDef := ""
	for _, d := range p.Sims.Argo.MetricDefinitions() {
		if d.Name == "cpu_hours" {
			cpuDef = d.ID
		}
	}
	for _, in := range p.Sims.Argo.Installations() {
		if in.ProjectID != proj.ArgoID {
			continue
		}
		ms, _ := p.Sims.Argo.InstallationMetrics(in.ID, 0, 1<<30)
		for _, m := range ms {
			if m.MetricDefinitionID == cpuDef && !m.Start.Before(month) && m.Start.Before(end) {
				st.add("argo", "cpu_hours", in.ID, rat(t, "0.015"), eur, rat(t, strconv.FormatFloat(m.Value, 'f', -1, 64)))
			}
		}
	}
	// AMIE: the records sent that the simulator took.
	for _, r := range sent {
		if state, ok := p.Sims.AMIE.State("Compute", resource, r.id); !ok || state == "failed" {
			t.Fatalf("record %s: %q %v", r.id, state, ok)
		}
		st.add("amie", "su", resource, rat(t, "0.01"), usd, rat(t, r.charge))
	}
	// OBI: the project's job report, by the day each job ended.
	oc, err := obi.New(obi.Config{BaseURL: p.Sims.Info.OBI.URL})
	if err != nil {
		t.Fatal(err)
	}
	err = oc.EachProjectJob(ctx, proj.OBIID, func(j obi.Job) error {
		f := j.FinishedAt
		if f.IsZero() {
			f = j.StartedAt
		}
		if !f.Before(month) && f.Before(end) && j.Amount.Sign() != 0 {
			st.add("obi", "credits", proj.VlabID, rat(t, "1.00"), eur, rat(t, j.Amount.String()))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}

	// Line by line, to the cent.
	got := map[string]int{}
	for i, l := range after.Lines {
		k := l.Source + "|" + l.Measure + "|" + l.Scope + "|" + rat(t, l.Price).RatString() + "|" + rat(t, l.FX).RatString()
		got[k] = i
	}
	var keys []string
	for k := range st {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	total := new(big.Rat)
	lines := 0
	for _, k := range keys {
		h := st[k]
		want := cents(h.base)
		if want == "0.00" {
			continue // a line that charges nothing is dropped
		}
		lines++
		i, ok := got[k]
		if !ok {
			t.Errorf("no statement line for %s (%s EUR by hand)", k, want)
			continue
		}
		l := after.Lines[i]
		if l.Charged != want {
			t.Errorf("%s: statement charges %s EUR, by hand %s (%s)", k, l.Charged, want, h.base.FloatString(12))
		}
		if q := rat(t, l.Quantity); new(big.Rat).Sub(q, h.qty).Abs(new(big.Rat).Sub(q, h.qty)).Cmp(big.NewRat(1, 1e9)) > 0 {
			t.Errorf("%s: quantity %s, by hand %s", k, l.Quantity, h.qty.FloatString(12))
		}
		total.Add(total, rat(t, want))
	}
	t.Logf("%s of %s: %d lines, %s EUR, each recomputed by hand", ym, proj.Key, lines, cents(total))
	if lines != len(after.Lines) {
		t.Errorf("the statement has %d lines, by hand %d", len(after.Lines), lines)
	}
	if after.Total != cents(total) || after.Base != "EUR" || after.Month != ym {
		t.Errorf("total %s %s of %s, by hand %s", after.Total, after.Base, after.Month, cents(total))
	}
	// The mid-month change splits the core-hours in three (price, then exchange rate).
	var coreLines []string
	for _, l := range after.Lines {
		if l.Measure == "cpu_core_hours" {
			coreLines = append(coreLines, l.FirstDay+".."+l.LastDay+"@"+l.Price+"/"+l.FX)
		}
	}
	sort.Strings(coreLines)
	wantCore := []string{month.Format("2006-01-02") + ".." + mid.AddDate(0, 0, -1).Format("2006-01-02") + "@0.012/0.94",
		mid.Format("2006-01-02") + ".." + fxDay.AddDate(0, 0, -1).Format("2006-01-02") + "@0.015/0.94",
		fxDay.Format("2006-01-02") + ".." + end.AddDate(0, 0, -1).Format("2006-01-02") + "@0.015/0.96"}
	if strings.Join(coreLines, " ") != strings.Join(wantCore, " ") {
		t.Errorf("core-hour lines %v, want %v", coreLines, wantCore)
	}
	if len(before.Lines) >= len(after.Lines) {
		t.Errorf("the changes did not split lines: %d before, %d after", len(before.Lines), len(after.Lines))
	}
	// Usage without a price is listed, never zero: ARGO's other metrics.
	unpriced := map[string]bool{}
	for _, u := range after.Unpriced {
		unpriced[u.Source+" "+u.Measure] = rat(t, u.Quantity).Sign() > 0 && strings.Contains(u.Reason, "no rate prices")
	}
	if !unpriced["argo api_requests"] || !unpriced["vergeos storage_tier2_gb_hours"] {
		t.Errorf("unpriced usage %v", after.Unpriced)
	}

	// The CSV twin says the same; the printable page too.
	var csvTotal string
	for _, row := range apptest.CSVRecords(t, manager.Get("/projects/neuro-sim/statements/"+ym+".csv")) {
		if row["line"] == "total" {
			csvTotal = row["charged_EUR"]
		}
	}
	if csvTotal != after.Total {
		t.Errorf("CSV total %s, JSON %s", csvTotal, after.Total)
	}
	if page := manager.Get("/projects/neuro-sim/statements/" + ym); page.Status != 200 || !strings.Contains(page.Body, `data-testid="statement-total">`+after.Total+`<`) {
		t.Errorf("statement page: %d", page.Status)
	}
	// A manager of another project sees none of it; the viewer neither.
	for _, b := range []*apptest.Browser{managerB, p.Login(t, "viewer")} {
		for _, u := range []string{"/projects/neuro-sim", "/projects/neuro-sim/statements/" + ym + ".json", "/projects/neuro-sim.csv"} {
			if r := b.Get(u); r.Status != http.StatusNotFound || strings.Contains(r.Body, after.Total) {
				t.Errorf("%s as another project's person: %d", u, r.Status)
			}
		}
		if r := b.Get("/costs.csv"); strings.Contains(r.Body, "neuro-sim") {
			t.Errorf("the costs CSV of another project's person names neuro-sim")
		}
	}
}

// flashOf returns the flash message of a page, for failure messages.
func flashOf(body string) string {
	i := strings.Index(body, `data-testid="flash"`)
	if i < 0 {
		return "(no message)"
	}
	j := strings.Index(body[i:], "</p>")
	return body[i : i+max(j, 0)]
}
