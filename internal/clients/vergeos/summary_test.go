package vergeos

import (
	"math"
	"testing"
)

const gib = 1 << 30

func near(a, b float64) bool { return math.Abs(a-b) < 1e-9 }

// Three records, newest first (the order the SDK's list returns):
//
//	created  cores   RAM MB (of 131072)  tier0 GiB  tier1 GiB  gpus  vgpus
//	300      48/64   98304 (96 GiB)      2 of 4     6 of 8     3/4   6/8
//	200      16/64   32768 (32 GiB)      1 of 4     3 of 8     1/4   2/8
//	100      32/64   65536 (64 GiB)      0 of 4     6 of 4     2/2   0/8
//
// Hand-computed:
//
//	CPU %      75, 25, 50           -> avg 150/3 = 50, peak 75; peak cores 48
//	RAM %      75, 25, 50           -> avg 50, peak 75; peak RAM 96 GiB
//	storage    8, 4, 6 GiB          -> avg 18/3 = 6 GiB, peak 8 GiB
//	storage %  8/12, 4/12, 6/8      -> 66.67, 33.33, 75: avg 175/3 = 58.33, peak 75
//	GPUs       total 4 and vGPUs 8 from the newest (the oldest says 2 GPUs)
//	GPUs used  3, 1, 2              -> avg 2;   GPU %  75, 25, 100 -> avg 200/3, peak 100
//	vGPUs used 6, 2, 0              -> avg 8/3; vGPU % 75, 25, 0   -> avg 100/3, peak 75
//	tier 0     newest 2 of 4 GiB = 50 %; avg (2+1+0)/3 = 1 GiB, peak 2 GiB
//	tier 1     newest 6 of 8 GiB = 75 %; avg (6+3+6)/3 = 5 GiB, peak 6 GiB
func handCase() []BillingRecord {
	rec := func(created, cores, ramMB, t0, t0cap, t1, t1cap, gpus, gpusTotal, vgpus int64) BillingRecord {
		return BillingRecord{Key: KeyOf(created / 100), Created: created, UsedCores: cores, TotalCores: 64, UsedRAM: ramMB, TotalRAM: 131072,
			Tiers: [NumTiers]Tier{{t0 * gib, t0cap * gib}, {t1 * gib, t1cap * gib}},
			GPUs:  gpus, GPUsTotal: gpusTotal, VGPUs: vgpus, VGPUsTotal: 8}
	}
	return []BillingRecord{
		rec(300, 48, 98304, 2, 4, 6, 8, 3, 4, 6),
		rec(200, 16, 32768, 1, 4, 3, 8, 1, 4, 2),
		rec(100, 32, 65536, 0, 4, 6, 4, 2, 2, 0),
	}
}

func TestSummarize_HandComputed(t *testing.T) {
	newestFirst := handCase()
	oldestFirst := []BillingRecord{newestFirst[2], newestFirst[1], newestFirst[0]}
	for name, records := range map[string][]BillingRecord{"newest first": newestFirst, "oldest first": oldestFirst} {
		s := Summarize(records)
		floats := []struct {
			name      string
			got, want float64
		}{
			{"avg CPU %", s.AvgCPUUtilization, 50}, {"peak CPU %", s.PeakCPUUtilization, 75},
			{"avg RAM %", s.AvgRAMUtilization, 50}, {"peak RAM %", s.PeakRAMUtilization, 75}, {"peak RAM GiB", s.PeakRAMGiB, 96},
			{"avg storage GiB", s.AvgStorageUsedGiB, 6}, {"peak storage GiB", s.PeakStorageUsedGiB, 8},
			{"avg storage %", s.AvgStorageUtilization, 175.0 / 3}, {"peak storage %", s.PeakStorageUtilization, 75},
			{"avg GPUs", s.AvgGPUsUsed, 2}, {"avg vGPUs", s.AvgVGPUsUsed, 8.0 / 3},
			{"avg GPU %", s.AvgGPUUtilization, 200.0 / 3}, {"peak GPU %", s.PeakGPUUtilization, 100},
			{"avg vGPU %", s.AvgVGPUUtilization, 100.0 / 3}, {"peak vGPU %", s.PeakVGPUUtilization, 75},
			{"tier 0 %", s.Tiers[0].Percent, 50}, {"tier 1 %", s.Tiers[1].Percent, 75}, {"tier 2 %", s.Tiers[2].Percent, 0},
			{"tier 0 avg", s.Tiers[0].AvgUsed, 1 * gib}, {"tier 1 avg", s.Tiers[1].AvgUsed, 5 * gib},
		}
		for _, f := range floats {
			if !near(f.got, f.want) {
				t.Errorf("%s: %s = %v, want %v", name, f.name, f.got, f.want)
			}
		}
		if s.RecordCount != 3 || s.PeakCPUCores != 48 || s.TotalGPUs != 4 || s.TotalVGPUs != 8 ||
			s.Tiers[0].Used != 2*gib || s.Tiers[0].Total != 4*gib || s.Tiers[0].PeakUsed != 2*gib ||
			s.Tiers[1].Used != 6*gib || s.Tiers[1].Total != 8*gib || s.Tiers[1].PeakUsed != 6*gib ||
			s.Tiers[5] != (TierSummary{}) || s.Newest.Created != 300 || s.FirstCreated != 100 || s.LastCreated != 300 {
			t.Errorf("%s: %+v", name, s)
		}
	}
}

// The SDK's own list fixture: 40 and 32 of 64 cores (62.5 %, 50 %),
// 81920 and 65536 of 131072 MB RAM (62.5 %, 50 %; 80 and 64 GiB), storage
// 120+600 = 720 GiB and 100+500 = 600 GiB, GPUs 3 and 2 of 4, vGPUs 6 and 4 of 8.
func TestSummarize_SDKFixture(t *testing.T) {
	rs, err := DecodeRecords(nil, readFixture(t, "billing-list.pyvergeos-test.json"))
	if err != nil {
		t.Fatal(err)
	}
	s := Summarize(rs)
	if s.RecordCount != 2 || !near(s.AvgCPUUtilization, 56.25) || s.PeakCPUCores != 40 || !near(s.AvgRAMUtilization, 56.25) ||
		!near(s.PeakRAMGiB, 80) || !near(s.AvgStorageUsedGiB, 660) || !near(s.PeakStorageUsedGiB, 720) ||
		s.TotalGPUs != 4 || !near(s.AvgGPUsUsed, 2.5) || s.TotalVGPUs != 8 || !near(s.AvgVGPUsUsed, 5) {
		t.Fatalf("%+v", s)
	}
}

func TestSummarize_Empty(t *testing.T) {
	if s := Summarize(nil); s.RecordCount != 0 || s.AvgCPUUtilization != 0 || s.TotalGPUs != 0 || s.Newest.Key != "" {
		t.Fatalf("%+v", s)
	}
}
