package billing

import (
	"testing"
	"time"
)

func TestRecord_StorageAndReported(t *testing.T) {
	var r Record
	for i := range r.Tiers {
		r.Tiers[i] = Tier{Used: int64(i + 1), Total: int64(10 * (i + 1))}
	}
	if r.StorageUsed() != 21 || r.StorageTotal() != 210 || r.Reported() {
		t.Fatalf("used %d total %d reported %v", r.StorageUsed(), r.StorageTotal(), r.Reported())
	}
	r.Sent = 1
	if !r.Reported() {
		t.Fatal("a record with sent set is not reported")
	}
}

func TestPercent(t *testing.T) {
	for _, c := range []struct {
		part, whole int64
		want        float64
	}{{1, 4, 25}, {0, 0, 0}, {5, 0, 0}, {3, 3, 100}} {
		if got := Percent(c.part, c.whole); got != c.want {
			t.Errorf("Percent(%d, %d) = %v", c.part, c.whole, got)
		}
	}
}

func TestSummary_SetNewest(t *testing.T) {
	s := Summary{RecordCount: 2, AvgCPUUtilization: 40}
	s.Tiers[0].AvgUsed, s.Tiers[0].PeakUsed = 3, 5
	r := Record{Key: "9", GPUsTotal: 4, VGPUsTotal: 8}
	r.Tiers[0], r.Tiers[5] = Tier{Used: 1, Total: 4}, Tier{Used: 7, Total: 0}
	s.SetNewest(r)
	if s.Newest.Key != "9" || s.TotalGPUs != 4 || s.TotalVGPUs != 8 || s.AvgCPUUtilization != 40 || s.RecordCount != 2 {
		t.Fatalf("%+v", s)
	}
	want0 := TierSummary{Used: 1, Total: 4, Percent: 25, AvgUsed: 3, PeakUsed: 5}
	if s.Tiers[0] != want0 || s.Tiers[5] != (TierSummary{Used: 7}) {
		t.Errorf("tiers %+v %+v", s.Tiers[0], s.Tiers[5])
	}
}

func TestBucketFor(t *testing.T) {
	from := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		span time.Duration
		want Bucket
	}{
		{24 * time.Hour, BucketHour}, {8 * 24 * time.Hour, BucketHour}, {9 * 24 * time.Hour, BucketDay},
		{200 * 24 * time.Hour, BucketDay}, {365 * 24 * time.Hour, BucketWeek}, {20 * 365 * 24 * time.Hour, BucketMonth},
	} {
		if got := BucketFor(from, from.Add(c.span)); got != c.want {
			t.Errorf("%v is drawn by %s, want %s", c.span, got, c.want)
		}
	}
	for b, w := range map[Bucket]time.Duration{BucketHour: time.Hour, BucketDay: 24 * time.Hour, BucketWeek: 7 * 24 * time.Hour, BucketMonth: 30 * 24 * time.Hour} {
		if b.Width() != w {
			t.Errorf("%s is %v wide", b, b.Width())
		}
	}
}

// VergeOS's hourly records span one hour ending on the hour; a generated
// record spans whatever was asked, so a "last hour" ending now is not one.
func TestIsHourly(t *testing.T) {
	for _, c := range []struct {
		from, to int64
		want     bool
	}{
		{7200, 10800, true},
		{7201, 10801, false}, // an hour, not on the hour
		{3600, 10800, false}, // on the hour, two hours
		{10800, 10800, false},
	} {
		if got := IsHourly(c.from, c.to); got != c.want {
			t.Errorf("IsHourly(%d, %d) = %v", c.from, c.to, got)
		}
	}
}
