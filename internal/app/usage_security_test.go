package app_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/accounting-portal/portal/internal/app/apptest"
	"github.com/accounting-portal/portal/internal/sectest"
	"github.com/accounting-portal/portal/internal/usage"
)

// TestUsage_UpstreamTextIsEscaped plants hostile text where AMIE's own
// words reach the usage pages (resource names, errors, usernames, record
// ids) and checks it comes out escaped in HTML and neutralised in CSV.
func TestUsage_UpstreamTextIsEscaped(t *testing.T) {
	t.Parallel()
	p := startUsagePortal(t, apptest.Options{})
	ctx := context.Background()
	day := usage.DayStart(time.Now()).AddDate(0, 0, -1)
	var status []usage.StatusDay
	var failed []usage.FailedRecord
	for i, pl := range sectest.Payloads {
		status = append(status, usage.StatusDay{Day: day, Resource: pl.Raw, Loaded: 1, Failed: 1, TotalCharge: "1"})
		failed = append(failed, usage.FailedRecord{FailedID: int64(900000 + i), UsageType: "Compute", Error: pl.Raw, Resource: pl.Raw,
			LocalProjectID: pl.Raw, LocalRecordID: pl.Raw, Username: pl.Raw, Charge: "1", LocalReference: pl.Raw, Problems: pl.Raw, Raw: "{}"})
	}
	if _, err := p.App.DB.SaveAMIEStatus(ctx, status, day, day.AddDate(0, 0, 1), time.Now(), false); err != nil {
		t.Fatal(err)
	}
	if _, err := p.App.DB.ReplaceAMIEFailed(ctx, failed); err != nil {
		t.Fatal(err)
	}
	a := p.Login(t, "admin")
	pages := map[string]string{}
	for _, path := range []string{"/usage?range=7d&size=500", "/usage/failed?size=500", "/usage/upload"} {
		r := a.Get(path)
		if r.Status != 200 {
			t.Fatalf("%s: %d", path, r.Status)
		}
		pages[path] = r.Body
		sectest.Markup(t, r.Body)
	}
	csvs := map[string]string{}
	for _, path := range []string{"/usage.csv?range=7d", "/usage/failed.csv"} {
		csvs[path] = a.Get(path).Body
	}
	for _, pl := range sectest.Payloads {
		for path, body := range pages {
			t.Run(fmt.Sprint(path, pl.Marker()), func(t *testing.T) { sectest.HTML(t, body, pl) })
		}
		for _, body := range csvs {
			sectest.CSV(t, body, pl)
		}
	}
}
