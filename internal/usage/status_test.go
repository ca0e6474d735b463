package usage

import (
	"testing"
	"time"
)

func TestSyncState_NeedsFull(t *testing.T) {
	now := time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)
	day := 24 * time.Hour
	for _, c := range []struct {
		name string
		s    SyncState
		want bool
	}{
		{"never read whole", SyncState{}, true},
		{"read whole an hour ago", SyncState{LastFull: now.Add(-time.Hour)}, false},
		{"read whole a day ago", SyncState{LastFull: now.Add(-day)}, true},
		{"a clear since", SyncState{LastFull: now.Add(-time.Hour), FullRequested: now.Add(-time.Minute)}, true},
		{"a clear before", SyncState{LastFull: now.Add(-time.Hour), FullRequested: now.Add(-2 * time.Hour)}, false},
	} {
		if got := c.s.NeedsFull(now, day); got != c.want {
			t.Errorf("%s: %v", c.name, got)
		}
	}
}

func TestDayStartAndFormatDay(t *testing.T) {
	at := time.Date(2026, 11, 20, 23, 30, 0, 0, time.FixedZone("", -5*3600))
	if got := DayStart(at); !got.Equal(time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC)) || got.Location() != time.UTC {
		t.Errorf("DayStart %v", got)
	}
	if got := FormatDay(at); got != "2026-11-21" {
		t.Errorf("FormatDay %q", got)
	}
}
