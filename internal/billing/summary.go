package billing

import "time"

// Summary is the usage over the billing records of a period, computed the
// way the VergeOS SDKs' summary (and vergeos.Summarize) computes it:
// per-record percentages averaged over the records, peaks as the largest
// per-record values, GPU totals and tier figures from the newest record.
// The cache folds the records in SQL; SetNewest adds what the newest
// record says.
type Summary struct {
	RecordCount int64

	AvgCPUUtilization, PeakCPUUtilization float64 // percent
	PeakCPUCores                          int64

	AvgRAMUtilization, PeakRAMUtilization float64 // percent
	PeakRAMGiB                            float64 // the largest used_ram, MB/1024

	AvgStorageUsedGiB, PeakStorageUsedGiB         float64 // over tiers 0–5
	AvgStorageUtilization, PeakStorageUtilization float64 // percent

	TotalGPUs, TotalVGPUs                   int64 // from the newest record
	AvgGPUsUsed, AvgVGPUsUsed               float64
	AvgGPUUtilization, PeakGPUUtilization   float64 // percent
	AvgVGPUUtilization, PeakVGPUUtilization float64

	// Tiers are tier 0–5: the newest record's used/total/percent with the
	// mean and largest used over the records.
	Tiers [Tiers]TierSummary
	// Newest is the newest record (largest created; the larger key on a tie,
	// numerically for numeric keys).
	Newest Record
	// FirstCreated and LastCreated bound the records' created (Unix seconds).
	FirstCreated, LastCreated int64
}

// TierSummary is one storage tier over a period, in bytes.
type TierSummary struct {
	Used, Total int64
	Percent     float64
	AvgUsed     float64
	PeakUsed    int64
}

// SetNewest records r as the newest record of the period and takes from
// it what the SDKs take from the newest record: the GPU and vGPU totals
// and each tier's use, capacity and percentage. The means and peaks over
// the records are left as they are.
func (s *Summary) SetNewest(r Record) {
	s.Newest = r
	s.TotalGPUs, s.TotalVGPUs = r.GPUsTotal, r.VGPUsTotal
	for t, nt := range r.Tiers {
		s.Tiers[t].Used, s.Tiers[t].Total, s.Tiers[t].Percent = nt.Used, nt.Total, Percent(nt.Used, nt.Total)
	}
}

// Reconciliation checks a period's records against themselves
// (PEERS.md §3.4): records VergeOS has not reported yet, stretches of time
// no record covers, and records whose periods overlap (a record generated
// on request covers part of an hour that the hourly record covers again).
type Reconciliation struct {
	Records int64
	// Unsent counts records with sent absent or 0.
	Unsent int64
	// Gaps counts holes between one record's end and the next record's
	// start; Missing is their total length; First lists the earliest.
	Gaps    int64
	Missing time.Duration
	First   []Gap
	// Overlaps counts records that start before an earlier record ended.
	Overlaps int64
	// LastTo is the end of the latest billed period in the range.
	LastTo time.Time
}

// Gap is a stretch [From, To) that no record covers.
type Gap struct{ From, To time.Time }

// MaxListedGaps bounds Reconciliation.First.
const MaxListedGaps = 10
