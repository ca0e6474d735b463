package costs

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/accounting-portal/portal/internal/decimal"
	"github.com/accounting-portal/portal/internal/portal"
)

// QuantityPlaces is how many decimals a quantity keeps when it comes from
// a division (MB to GB, seconds to hours, a mean); sums are exact.
const QuantityPlaces = 12

// SampleSpan is the most time one tenant history sample stands for: the
// long history samples once an hour, and a longer gap (VergeOS was down,
// the tenant did not exist) is not charged.
const SampleSpan = 3600

// TenantSample is a VergeOS tenant history sample, as the ledger reads it.
type TenantSample struct {
	Timestamp int64 // Unix seconds
	CoreCount int64
	RAMUsedMB int64
	TierUsed  [6]int64 // bytes
	GPUsUsed  int64
	VGPUsUsed int64
}

var (
	mbPerGB    = decimal.NewFromInt(1024)
	bytesPerGB = decimal.NewFromInt(1 << 30)
	secPerHour = decimal.NewFromInt(3600)
)

// VergeOSUsage adds up a tenant's long-history samples (oldest first) into
// daily usage per measure, for days from from on; samples before from only
// tell how long the first later one stands for. A sample stands for the
// time since the sample before it, at most SampleSpan (the first sample:
// SampleSpan), and counts on the UTC day that time starts: its gauges
// times those hours are the day's core-hours, GB-hours of RAM (MB / 1024)
// and of each storage tier (bytes / 2^30), GPU-hours and vGPU-hours.
// Measures that are zero all day give no usage.
func VergeOSUsage(project, tenant string, tenantKey int64, table string, samples []TenantSample, from time.Time) []Usage {
	type acc struct {
		sums       [10]decimal.Decimal // core, ram, tier0..5, gpu, vgpu: value × seconds
		n          int
		first, end int64
	}
	days := map[int64]*acc{}
	var order []int64
	prev := int64(0)
	for _, s := range samples {
		w := int64(SampleSpan)
		if prev != 0 {
			w = min(s.Timestamp-prev, SampleSpan)
		}
		prev = s.Timestamp
		if w <= 0 {
			continue // a repeated timestamp stands for no time
		}
		start := s.Timestamp - w
		day := start - mod(start, 86400)
		if day < from.Unix() {
			continue
		}
		a := days[day]
		if a == nil {
			a = &acc{first: start}
			days[day] = a
			order = append(order, day)
		}
		a.n++
		a.end = s.Timestamp
		vals := [10]int64{s.CoreCount, s.RAMUsedMB, s.TierUsed[0], s.TierUsed[1], s.TierUsed[2], s.TierUsed[3], s.TierUsed[4], s.TierUsed[5], s.GPUsUsed, s.VGPUsUsed}
		for i, v := range vals {
			if v != 0 {
				a.sums[i] = a.sums[i].Add(decimal.NewFromInt(v).Mul(decimal.NewFromInt(w)))
			}
		}
	}
	measures := [10]string{MeasureCoreHours, MeasureRAMGBHours}
	for n := range 6 {
		measures[2+n] = MeasureTierGBHours(n)
	}
	measures[8], measures[9] = MeasureGPUHours, MeasureVGPUHours
	var out []Usage
	for _, day := range order {
		a := days[day]
		origin := fmt.Sprintf("VergeOS %s of tenant %s ($key %d): %d samples from %s to %s UTC", table, tenant, tenantKey, a.n,
			time.Unix(a.first, 0).UTC().Format("2006-01-02 15:04"), time.Unix(a.end, 0).UTC().Format("2006-01-02 15:04"))
		for i, sum := range a.sums {
			if sum.IsZero() {
				continue
			}
			div := secPerHour
			switch {
			case i == 1:
				div = secPerHour.Mul(mbPerGB)
			case i >= 2 && i <= 7:
				div = secPerHour.Mul(bytesPerGB)
			}
			m, _ := LookupMeasure(portal.UpstreamVergeOS, measures[i])
			out = append(out, Usage{Project: project, Day: time.Unix(day, 0).UTC(), Source: portal.UpstreamVergeOS, Measure: m.Name,
				Scope: tenant, Quantity: Divide(sum, div), Unit: m.Units, Origin: origin})
		}
	}
	return out
}

// Divide returns a / b to QuantityPlaces decimals, without trailing zeros
// ("384", not "384.000000000000").
func Divide(a, b decimal.Decimal) decimal.Decimal {
	q, err := a.DivRound(b, QuantityPlaces)
	if err != nil {
		return decimal.Zero
	}
	return Reduce(q)
}

// Reduce drops a decimal's trailing fractional zeros.
func Reduce(d decimal.Decimal) decimal.Decimal {
	s := d.String()
	if !strings.Contains(s, ".") || strings.ContainsAny(s, "Ee") {
		return d
	}
	s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	r, err := decimal.Parse(s)
	if err != nil {
		return d
	}
	return r
}

func mod(a, b int64) int64 { return ((a % b) + b) % b }

// ArgoMetric is an ARGO metric of one of the project's installations.
type ArgoMetric struct {
	ID               string
	Installation     string // its id
	InstallationName string
	Definition       string // the metric definition's name
	MetricType       string // aggregated, count, summarised, averaged, ...
	UnitType         string
	Start            int64
	Value            decimal.Decimal
}

// ArgoUsage adds up a project's ARGO metrics into daily usage per
// installation and metric definition, the way the metrics overview does:
// a metric counts on the UTC day its period starts; "aggregated" metrics
// (CPU time, requests) are summed, every other type (counts, averages) is
// averaged over the day's metrics of the installation.
func ArgoUsage(project string, ms []ArgoMetric) []Usage {
	type acc struct {
		sum   decimal.Decimal
		ids   []string
		m     ArgoMetric
		day   int64
		count int
	}
	groups := map[string]*acc{}
	var keys []string
	for _, m := range ms {
		day := m.Start - mod(m.Start, 86400)
		k := strconv.FormatInt(day, 10) + "|" + m.Installation + "|" + m.Definition
		a := groups[k]
		if a == nil {
			a = &acc{m: m, day: day}
			groups[k] = a
			keys = append(keys, k)
		}
		a.sum = a.sum.Add(m.Value)
		a.count++
		if len(a.ids) < 3 {
			a.ids = append(a.ids, m.ID)
		}
	}
	sort.Strings(keys)
	out := make([]Usage, 0, len(keys))
	for _, k := range keys {
		a := groups[k]
		q := a.sum
		how := "sum"
		if a.m.MetricType != "aggregated" {
			q, how = Divide(a.sum, decimal.NewFromInt(int64(a.count))), "mean"
		}
		ids := strings.Join(a.ids, ", ")
		if a.count > len(a.ids) {
			ids += fmt.Sprintf(" and %d more", a.count-len(a.ids))
		}
		name := a.m.InstallationName
		if name == "" {
			name = a.m.Installation
		}
		out = append(out, Usage{Project: project, Day: time.Unix(a.day, 0).UTC(), Source: portal.UpstreamArgo, Measure: a.m.Definition,
			Scope: a.m.Installation, Quantity: q, Unit: ArgoMeasure(a.m.Definition, a.m.UnitType).Units,
			Origin: fmt.Sprintf("ARGO metrics of installation %s (%s, %s of %d): %s", name, a.m.MetricType, how, a.count, ids)})
	}
	return out
}

// AMIERecord is a usage record a project sent to AMIE through the portal.
type AMIERecord struct {
	Upload        int64
	LocalRecordID string
	Resource      string
	Start         int64 // StartTime, or CollectionTime for storage
	Charge        decimal.Decimal
}

// AMIEUsage adds up the charges (SUs) of the records a project sent that
// AMIE took and did not fail in processing, per UTC day of their start and
// resource.
func AMIEUsage(project string, rs []AMIERecord) []Usage {
	type acc struct {
		sum      decimal.Decimal
		ids      []string
		uploads  map[int64]bool
		n        int
		day      int64
		resource string
	}
	groups := map[string]*acc{}
	var keys []string
	for _, r := range rs {
		day := r.Start - mod(r.Start, 86400)
		k := strconv.FormatInt(day, 10) + "|" + r.Resource
		a := groups[k]
		if a == nil {
			a = &acc{day: day, resource: r.Resource, uploads: map[int64]bool{}}
			groups[k] = a
			keys = append(keys, k)
		}
		a.sum = a.sum.Add(r.Charge)
		a.n++
		a.uploads[r.Upload] = true
		if len(a.ids) < 5 {
			a.ids = append(a.ids, r.LocalRecordID)
		}
	}
	sort.Strings(keys)
	m, _ := LookupMeasure(portal.UpstreamAMIE, MeasureSU)
	out := make([]Usage, 0, len(keys))
	for _, k := range keys {
		a := groups[k]
		ids := strings.Join(a.ids, ", ")
		if a.n > len(a.ids) {
			ids += fmt.Sprintf(" and %d more", a.n-len(a.ids))
		}
		var ups []string
		for u := range a.uploads {
			ups = append(ups, "#"+strconv.FormatInt(u, 10))
		}
		sort.Strings(ups)
		out = append(out, Usage{Project: project, Day: time.Unix(a.day, 0).UTC(), Source: portal.UpstreamAMIE, Measure: MeasureSU,
			Scope: a.resource, Quantity: a.sum, Unit: m.Units,
			Origin: fmt.Sprintf("AMIE usage records accepted and not failed (LocalRecordID %s), from upload %s", ids, strings.Join(ups, ", "))})
	}
	return out
}

// OBISpend is what a project's finished OBI jobs cost on one UTC day.
type OBISpend struct {
	Day    int64
	VlabID string
	Amount decimal.Decimal // credits
	Jobs   int64
}

// OBIUsage turns a project's daily OBI spend into usage of credits, in the
// scope of its virtual lab.
func OBIUsage(project string, ss []OBISpend) []Usage {
	m, _ := LookupMeasure(portal.UpstreamOBI, MeasureCredits)
	out := make([]Usage, 0, len(ss))
	for _, s := range ss {
		if s.Amount.IsZero() {
			continue
		}
		out = append(out, Usage{Project: project, Day: time.Unix(s.Day, 0).UTC(), Source: portal.UpstreamOBI, Measure: MeasureCredits,
			Scope: s.VlabID, Quantity: s.Amount, Unit: m.Units,
			Origin: fmt.Sprintf("OBI job report: %d finished jobs ended that day", s.Jobs)})
	}
	return out
}

// AMIESent is a usage record a project sent through the portal, with what
// became of it: Outcome is the portal's record of AMIE's answer (pending,
// accepted, refused, sent, not sent; Error says why it was refused) and
// Failed is AMIE's error when it lists the record among those that failed
// processing (a failed record is not charged until it is fixed).
type AMIESent struct {
	Upload        int64
	LocalRecordID string
	Resource      string
	Username      string
	UsageType     string
	Start, End    time.Time
	Charge        decimal.Decimal
	Outcome       string
	Error         string
	Failed        string
}
