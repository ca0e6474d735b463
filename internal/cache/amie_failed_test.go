package cache

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/accounting-portal/portal/internal/portal"
	"github.com/accounting-portal/portal/internal/usage"
)

// amieTestManager signs in a manager of neuro-sim, whom new failed
// records of it are told of.
func amieTestManager(t *testing.T, db *DB) {
	t.Helper()
	if err := db.RememberUser(amieCtx, portal.User{Subject: "mia", Name: "Mia", Member: []string{"neuro-sim"}, Manages: []string{"neuro-sim"}}); err != nil {
		t.Fatal(err)
	}
}

// amieFailedIDs is the cached failed records' ids, in id order.
func amieFailedIDs(t *testing.T, db *DB) string {
	t.Helper()
	recs, _, err := db.ListFailed(amieCtx, usage.FailedFilter{Scope: portal.Scope{All: true}, Sort: "id", Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, r := range recs {
		out = append(out, fmt.Sprintf("%d:%s", r.FailedID, r.Charge))
	}
	return strings.Join(out, ",")
}

// amieCount runs a COUNT(*) query.
func amieCount(t *testing.T, db *DB, q string) int {
	t.Helper()
	var n int
	if err := db.r.QueryRowContext(amieCtx, q).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// A list read part way (its reader fails after handing over batches of
// new, changed and unchanged records) changes nothing: the cached list
// stays, none of it is removed, no event is raised, nothing stays staged,
// and the reader's error comes back as it is.
func TestReplaceAMIEFailedStream_AReadThatFailsChangesNothing(t *testing.T) {
	db, _ := MustOpen(t)
	amieTestCatalog(t, db)
	amieTestManager(t, db)
	if _, err := db.ReplaceAMIEFailed(amieCtx, []usage.FailedRecord{amieTestFailed(1, "TG-NEU1", "e"), amieTestFailed(2, "TG-NEU1", "e"),
		amieTestFailed(3, "TG-CLI3", "e")}); err != nil {
		t.Fatal(err)
	}
	before := amieFailedIDs(t, db)
	events := amieCount(t, db, `SELECT COUNT(*) FROM notify_events`)
	changed := amieTestFailed(2, "TG-NEU1", "e")
	changed.Charge = "9.5"
	broken := errors.New("AMIE: GET usage/failed: ValidationFailedRecords[3]: not a JSON object")
	n, err := db.ReplaceAMIEFailedStream(amieCtx, func(add func([]usage.FailedRecord) error, restart func() error) error {
		if err := add([]usage.FailedRecord{amieTestFailed(1, "TG-NEU1", "e"), changed}); err != nil {
			return err
		}
		if err := add([]usage.FailedRecord{amieTestFailed(7, "TG-NEU1", "new"), {FailedID: 0, UsageType: "Compute", Error: "no id", Raw: "{}"}}); err != nil {
			return err
		}
		return broken
	})
	if err != broken || n != 0 {
		t.Fatalf("%d rows, error %v", n, err)
	}
	if after := amieFailedIDs(t, db); after != before {
		t.Errorf("the cached list changed from %s to %s", before, after)
	}
	if got := amieCount(t, db, `SELECT COUNT(*) FROM notify_events`); got != events {
		t.Errorf("%d events raised by a failed read", got-events)
	}
	if got := amieCount(t, db, `SELECT COUNT(*) FROM amie_failed_incoming`); got != 0 {
		t.Errorf("%d rows left staged", got)
	}

	// Restart takes back what was added: only what follows it is the list.
	n, err = db.ReplaceAMIEFailedStream(amieCtx, func(add func([]usage.FailedRecord) error, restart func() error) error {
		if err := add([]usage.FailedRecord{amieTestFailed(7, "TG-NEU1", "taken back"), amieTestFailed(1, "TG-NEU1", "e")}); err != nil {
			return err
		}
		if err := restart(); err != nil {
			return err
		}
		return add([]usage.FailedRecord{amieTestFailed(1, "TG-NEU1", "e"), changed, amieTestFailed(8, "TG-NEU1", "new")})
	})
	// 3 gone, 2 changed (deleted and inserted), 8 new.
	if err != nil || n != 4 {
		t.Fatalf("after a restart: %d rows, %v", n, err)
	}
	if got := amieFailedIDs(t, db); got != "1:1.5,2:9.5,8:1.5" {
		t.Errorf("after a restart the list is %s", got)
	}
	var body string
	if err := db.r.QueryRowContext(amieCtx, `SELECT body FROM notify_events ORDER BY id DESC LIMIT 1`).Scan(&body); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(body, "1 usage record") || !strings.Contains(body, "Error: new") || strings.Contains(body, "taken back") {
		t.Errorf("event for the new record: %q", body)
	}
	if got := amieCount(t, db, `SELECT COUNT(*) FROM amie_failed_incoming`); got != 0 {
		t.Errorf("%d rows left staged", got)
	}
}

// The event of new failed records counts them per project, with each
// error once in the order first listed, however the batches fall.
func TestReplaceAMIEFailedStream_NewRecordsEventAcrossBatches(t *testing.T) {
	db, _ := MustOpen(t)
	amieTestCatalog(t, db)
	amieTestManager(t, db)
	_, err := db.ReplaceAMIEFailedStream(amieCtx, func(add func([]usage.FailedRecord) error, _ func() error) error {
		for _, b := range [][]usage.FailedRecord{
			{amieTestFailed(1, "TG-NEU1", "Unknown user"), amieTestFailed(2, "TG-NEU1", "Insufficient allocation")},
			{amieTestFailed(3, "TG-NEU1", "Unknown user"), amieTestFailed(4, "TG-CLI3", "Unknown user")},
			{amieTestFailed(5, "TG-NEU1", "Bad charge"), amieTestFailed(5, "TG-NEU1", "listed twice")},
		} {
			if err := add(b); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var body string
	if err := db.r.QueryRowContext(amieCtx, `SELECT body FROM notify_events WHERE project_key = 'neuro-sim'`).Scan(&body); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(body, "4 usage records") || !strings.Contains(body, "Error: Unknown user\nError: Insufficient allocation\nError: Bad charge") ||
		strings.Contains(body, "listed twice") {
		t.Errorf("neuro-sim's event: %q", body)
	}
}
