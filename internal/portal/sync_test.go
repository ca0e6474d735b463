package portal

import (
	"testing"
	"time"
)

func TestSourceStatus_DataAsOfAndFailing(t *testing.T) {
	at := time.Date(2026, 11, 20, 12, 1, 0, 0, time.UTC)
	ok, bad := &SyncRun{ID: 1, Finished: at}, &SyncRun{ID: 2, Error: "ARGO could not be reached"}
	for name, c := range map[string]struct {
		s       SourceStatus
		asOf    time.Time
		failing bool
	}{
		"never run":         {SourceStatus{}, time.Time{}, false},
		"fine":              {SourceStatus{LastSuccess: ok, LastRun: ok}, at, false},
		"failed after fine": {SourceStatus{LastSuccess: ok, LastError: bad, LastRun: bad}, at, true},
		"fine after failed": {SourceStatus{LastSuccess: &SyncRun{ID: 3, Finished: at}, LastError: bad}, at, false},
		"only failed":       {SourceStatus{LastError: bad, LastRun: bad}, time.Time{}, true},
	} {
		if !c.s.DataAsOf().Equal(c.asOf) || c.s.Failing() != c.failing {
			t.Errorf("%s: as of %v failing %v", name, c.s.DataAsOf(), c.s.Failing())
		}
	}
}

func TestNewToken_RandomAndURLSafe(t *testing.T) {
	a, b := NewToken(), NewToken()
	if len(a) != 43 || a == b {
		t.Fatalf("tokens %q %q", a, b)
	}
	for _, r := range a {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			t.Fatalf("token %q holds %q", a, r)
		}
	}
}
