package handlers

import (
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/accounting-portal/portal/internal/usage"
)

// The checks of an uploaded file's cells: each cell against its column's
// kind, then the checks across cells and rows (times in order, projects
// the uploader manages, known resources, duplicate LocalRecordIDs).

// problem reports a problem in schema column c of the current row.
func (ur *usageReader) problem(c int, format string, args ...any) {
	line := ur.line[c]
	if line == 0 {
		line, _ = ur.r.FieldPos(0)
	}
	ur.rep.add(line, ur.s.Columns[c].Name, format, args...)
}

// cell checks one cell and stores its value in rec.
func (ur *usageReader) cell(c int, rec *usage.Record) {
	col := &ur.s.Columns[c]
	v := ur.fields[c]
	switch {
	case v == "" && col.Required:
		ur.problem(c, "a value is required")
		return
	case v == "":
		return
	case utf8.RuneCountInString(v) > usageMaxCell:
		ur.problem(c, "the value is longer than %d characters", usageMaxCell)
		return
	case strings.ContainsFunc(v, func(r rune) bool { return r < 0x20 || r == 0x7f }):
		ur.problem(c, "the value has control characters (a line break or tab inside a cell)")
		return
	}
	switch col.Kind {
	case usageKindTime:
		t, ok := parseUsageTime(v)
		switch {
		case !ok:
			ur.problem(c, "%q is not a time like 2025-05-01T10:00:00Z", v)
		case t.After(ur.chk.Now.Add(usageFutureSlack)):
			ur.problem(c, "%s is in the future", t.Format(time.RFC3339))
		default:
			ur.setTime(col.Name, rec, t)
		}
	case usageKindCharge:
		if msg := usageCheckCharge(v, ur.s.Negative); msg != "" {
			ur.problem(c, "%q %s", v, msg)
			return
		}
		rec.Charge = v
	case usageKindInt:
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			ur.problem(c, "%q is not a whole number of 0 or more", v)
			return
		}
		if rec.Ints == nil {
			rec.Ints = map[string]int64{}
		}
		rec.Ints[col.Name] = n
	case usageKindAdjustment:
		t := strings.ToLower(v)
		if !slices.Contains(amieAdjustmentTypes, t) {
			ur.problem(c, "%q is not one of %s", v, strings.Join(amieAdjustmentTypes, ", "))
			return
		}
		rec.AdjustmentType = t
	default:
		ur.setText(col.Name, rec, v)
	}
}

func (ur *usageReader) setTime(name string, rec *usage.Record, t time.Time) {
	switch name {
	case "SubmitTime":
		rec.SubmitTime = t
	case "StartTime":
		rec.StartTime = t
	case "EndTime":
		rec.EndTime = t
	case "CollectionTime":
		rec.CollectionTime = t
	}
}

func (ur *usageReader) setText(name string, rec *usage.Record, v string) {
	switch name {
	case "Username":
		rec.Username = v
	case "LocalProjectID":
		rec.LocalProjectID = v
	case "LocalRecordID":
		rec.LocalRecordID = v
	case "Resource":
		rec.Resource = v
	case "LocalReference":
		rec.LocalReference = v
	case "JobName":
		rec.JobName = v
	case "Queue":
		rec.Queue = v
	case "ParentRecordID":
		rec.ParentRecordID = v
	case "MediaType":
		rec.MediaType = v
	case "Comment":
		rec.Comment = v
	}
}

// crossChecks are the checks that involve more than one cell or earlier rows.
func (ur *usageReader) crossChecks(rec *usage.Record) {
	s := ur.s
	if !rec.StartTime.IsZero() && !rec.EndTime.IsZero() && rec.EndTime.Before(rec.StartTime) {
		ur.problem(s.column("EndTime"), "the job ends (%s) before it starts (%s)", rec.EndTime.Format(time.RFC3339), rec.StartTime.Format(time.RFC3339))
	}
	if p := rec.LocalProjectID; p != "" {
		if _, ok := ur.chk.Projects[p]; !ok && !ur.chk.AnyProject {
			ur.problem(s.column("LocalProjectID"), "%q is not a project you manage (yours: %s)", p, usageProjectList(ur.chk.Projects))
		} else {
			ur.proj[p] = true
		}
	}
	if r := rec.Resource; r != "" && len(ur.chk.Resources) > 0 && !ur.chk.Resources[r] {
		ur.problem(s.column("Resource"), "%q is not a resource AMIE has reported (known: %s)", r, usageSetList(ur.chk.Resources))
	}
	if rec.LocalRecordID != "" && rec.Resource != "" {
		key := rec.Resource + "\x00" + rec.LocalRecordID
		if prev, dup := ur.seen[key]; dup {
			ur.problem(s.column("LocalRecordID"), "%q is already used on line %d for resource %s; each record needs its own LocalRecordID", rec.LocalRecordID, prev, rec.Resource)
		} else {
			ur.seen[key] = rec.Line
		}
	}
	if rec.Charge != "" {
		if err := ur.rep.Charge.Add(rec.Charge); err != nil {
			ur.problem(s.column("Charge"), "%q is not a number", rec.Charge)
		}
	}
}

// usageProjectList names the projects the uploader manages, for messages.
func usageProjectList(m map[string]string) string {
	if len(m) == 0 {
		return "none"
	}
	keys := make(map[string]bool, len(m))
	for id, key := range m {
		if id != key {
			keys[id] = true
		}
	}
	if len(keys) == 0 {
		return "none with an AMIE id"
	}
	return usageSetList(keys)
}

// usageSetList lists up to five names of a set, sorted.
func usageSetList(m map[string]bool) string {
	names := make([]string, 0, len(m))
	for n := range m {
		names = append(names, n)
	}
	sort.Strings(names)
	if len(names) > 5 {
		return strings.Join(names[:5], ", ") + fmt.Sprintf(" and %d more", len(names)-5)
	}
	return strings.Join(names, ", ")
}

// usageTimeLayouts are the accepted time forms; times without a zone are UTC.
var usageTimeLayouts = []string{time.RFC3339, "2006-01-02T15:04:05", "2006-01-02 15:04:05Z07:00", "2006-01-02 15:04:05"}

// parseUsageTime reads a time in one of usageTimeLayouts, in UTC, whole seconds.
func parseUsageTime(s string) (time.Time, bool) {
	for _, l := range usageTimeLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t.UTC().Truncate(time.Second), true
		}
	}
	return time.Time{}, false
}

// usageCheckCharge checks a charge literal: digits with an optional point and
// at most usageChargePlaces decimals, a minus sign only where allowed. It
// returns what is wrong, or "".
func usageCheckCharge(v string, negative bool) string {
	s := v
	if strings.HasPrefix(s, "-") {
		if !negative {
			return "must not be negative"
		}
		s = s[1:]
	}
	whole, frac, dot := strings.Cut(s, ".")
	switch {
	case whole == "" || !usageDigits(whole) || (dot && (frac == "" || !usageDigits(frac))):
		return "is not a decimal number like 128.5"
	case len(frac) > usageChargePlaces:
		return fmt.Sprintf("has more than %d decimals", usageChargePlaces)
	case len(strings.TrimLeft(whole, "0")) > 15:
		return "is too large"
	}
	return ""
}

func usageDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
