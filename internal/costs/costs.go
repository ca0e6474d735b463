// Package costs turns the four upstreams' usage into one account per
// project: what each source measures (the measures a rate can price), the
// rate card with its dated versions and the dated FX table, the ledger
// line of one project, day, source, measure and scope, monthly statements,
// budgets against what was spent, and the cross-source checks.
//
// Everything here is exact decimal arithmetic on internal/decimal; nothing
// is ever converted through a float. The package holds no SQL: the cache
// reads and stores these types, the handlers show them.
package costs

import (
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/accounting-portal/portal/internal/portal"
)

// Sources are the upstreams whose usage is priced, in statement order.
var Sources = []string{portal.UpstreamVergeOS, portal.UpstreamArgo, portal.UpstreamAMIE, portal.UpstreamOBI}

// AnyScope is the scope of a rate that applies wherever no narrower rate does.
const AnyScope = "*"

// Measures of VergeOS tenant usage, of AMIE and of OBI. ARGO's measures
// are its metric definitions, by name.
const (
	MeasureCoreHours  = "cpu_core_hours"
	MeasureRAMGBHours = "ram_gb_hours"
	MeasureGPUHours   = "gpu_hours"
	MeasureVGPUHours  = "vgpu_hours"
	MeasureSU         = "su"
	MeasureCredits    = "credits"
)

// MeasureTierGBHours returns the measure of storage used on vSAN tier n (0-5).
func MeasureTierGBHours(n int) string { return fmt.Sprintf("storage_tier%d_gb_hours", n) }

// Measure is a quantity a source reports and a rate can price.
type Measure struct {
	Source string
	Name   string
	// Title says what is measured ("CPU cores of the tenant").
	Title string
	// Unit is one unit in full, as it follows "EUR per" ("core-hour");
	// Units is its plural, for quantities ("core-hours").
	Unit, Units string
}

// PerUnit writes a price's unit in full: "EUR per core-hour".
func (m Measure) PerUnit(currency string) string { return currency + " per " + m.Unit }

// fixedMeasures are the measures of every source but ARGO.
var fixedMeasures = func() []Measure {
	ms := []Measure{
		{portal.UpstreamVergeOS, MeasureCoreHours, "CPU cores allocated to the tenant", "core-hour", "core-hours"},
		{portal.UpstreamVergeOS, MeasureRAMGBHours, "RAM the tenant uses", "GB-hour of RAM", "GB-hours of RAM"},
	}
	for n := range 6 {
		ms = append(ms, Measure{portal.UpstreamVergeOS, MeasureTierGBHours(n), fmt.Sprintf("storage the tenant uses on vSAN tier %d", n),
			fmt.Sprintf("GB-hour of tier %d storage", n), fmt.Sprintf("GB-hours of tier %d storage", n)})
	}
	return append(ms,
		Measure{portal.UpstreamVergeOS, MeasureGPUHours, "physical GPUs the tenant uses", "GPU-hour", "GPU-hours"},
		Measure{portal.UpstreamVergeOS, MeasureVGPUHours, "vGPUs the tenant uses", "vGPU-hour", "vGPU-hours"},
		Measure{portal.UpstreamAMIE, MeasureSU, "allocation units (SUs) charged in the usage records the project sent", "SU (allocation unit)", "SUs (allocation units)"},
		Measure{portal.UpstreamOBI, MeasureCredits, "OBI credits the project's jobs cost", "OBI credit", "OBI credits"},
	)
}()

// FixedMeasures lists the measures of VergeOS, AMIE and OBI.
func FixedMeasures() []Measure { return append([]Measure(nil), fixedMeasures...) }

// ArgoMeasure is the measure of an ARGO metric definition: priced per unit
// of the definition ("EUR per CPU Time of cpu_hours").
func ArgoMeasure(definition, unitType string) Measure {
	u := strings.TrimSpace(unitType)
	if u == "" {
		u = "unit"
	}
	return Measure{Source: portal.UpstreamArgo, Name: definition, Title: "ARGO metric " + definition,
		Unit: u + " of " + definition, Units: u + " of " + definition}
}

// LookupMeasure returns a fixed measure (not ARGO's) by source and name.
func LookupMeasure(source, name string) (Measure, bool) {
	for _, m := range fixedMeasures {
		if m.Source == source && m.Name == name {
			return m, true
		}
	}
	return Measure{}, false
}

// ScopeKind names what a source's rates are narrowed to.
func ScopeKind(source string) string {
	switch source {
	case portal.UpstreamVergeOS:
		return "tenant"
	case portal.UpstreamArgo:
		return "installation"
	case portal.UpstreamAMIE:
		return "resource"
	case portal.UpstreamOBI:
		return "virtual lab"
	}
	return "scope"
}

// SourceTitle names a source on statements.
func SourceTitle(source string) string {
	switch source {
	case portal.UpstreamVergeOS:
		return "VergeOS tenant usage"
	case portal.UpstreamArgo:
		return "ARGO metrics"
	case portal.UpstreamAMIE:
		return "AMIE usage records"
	case portal.UpstreamOBI:
		return "OBI credits"
	}
	return source
}

// IsSource reports whether s is one of Sources.
func IsSource(s string) bool {
	for _, x := range Sources {
		if x == s {
			return true
		}
	}
	return false
}

var currencyRE = regexp.MustCompile(`^[A-Z]{3}$`)

// ValidCurrency reports whether c is an ISO 4217-shaped code ("EUR").
func ValidCurrency(c string) bool { return currencyRE.MatchString(c) }

// DateLayout is how days are written in forms, JSON and CSV.
const DateLayout = "2006-01-02"

// Day returns the UTC midnight that starts t's day.
func Day(t time.Time) time.Time {
	t = t.UTC()
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
}

// ParseDay reads "YYYY-MM-DD" as a UTC day.
func ParseDay(s string) (time.Time, error) {
	t, err := time.Parse(DateLayout, strings.TrimSpace(s))
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is not a date (YYYY-MM-DD)", s)
	}
	if t.Year() < 2000 || t.Year() > 2999 {
		return time.Time{}, fmt.Errorf("%q is not a date between 2000 and 2999", s)
	}
	return t, nil
}

// Month returns the first day of t's month (UTC).
func Month(t time.Time) time.Time {
	t = t.UTC()
	return time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC)
}

// ParseMonth reads "YYYY-MM".
func ParseMonth(s string) (time.Time, error) {
	t, err := time.Parse("2006-01", strings.TrimSpace(s))
	if err != nil || t.Year() < 2000 || t.Year() > 2999 {
		return time.Time{}, fmt.Errorf("%q is not a month (YYYY-MM)", s)
	}
	return t, nil
}

// Problems is every problem found in an input that was refused whole.
type Problems struct{ List []string }

func (p *Problems) Error() string {
	return fmt.Sprintf("%d problem(s): %s", len(p.List), strings.Join(p.List, "; "))
}

func (p *Problems) addf(format string, args ...any) {
	p.List = append(p.List, fmt.Sprintf(format, args...))
}

func (p *Problems) err() error {
	if len(p.List) == 0 {
		return nil
	}
	return p
}
