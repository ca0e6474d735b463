package amie

import (
	"encoding/json"
	"strings"
	"time"
)

// Record keys the simulator reads; others are tolerated and ignored.
const (
	fUsername = iota
	fProject
	fLocalID
	fResource
	fSubmit
	fStart
	fEnd
	fCollection
	fCharge
	fAdjType
	fComment
	fLocalRef
	fParent
	fAttributes
	nFields
)

var fieldNames = [nFields]string{"Username", "LocalProjectID", "LocalRecordID", "Resource", "SubmitTime",
	"StartTime", "EndTime", "CollectionTime", "Charge", "AdjustmentType", "Comment", "LocalReference",
	"ParentRecordID", "Attributes"}

// required lists each type's required keys in the order they are checked.
var required = [nTypes][]int{
	typCompute:    {fUsername, fProject, fLocalID, fResource, fSubmit, fStart, fEnd, fCharge},
	typStorage:    {fCharge, fCollection, fProject, fLocalID, fResource, fUsername},
	typAdjustment: {fAdjType, fCharge, fStart, fProject, fLocalID, fResource, fUsername},
}

// maxIDLen bounds identifiers and free text, as a database column would.
const maxIDLen = 255

// parsed is a record that passed validation.
type parsed struct {
	canon
	ch        charge
	proj, res int32
}

// wireRecord is a received record: its members by their exact keys (a
// key that differs in case is another key, unknown and ignored).
type wireRecord map[string]value

// parseRecord validates a record of type typ and returns it in canonical
// form, or the reason it failed validation.
func parseRecord(typ uint8, rec wireRecord, c *cast) (parsed, string) {
	var vals [nFields]value
	for i, name := range fieldNames {
		vals[i] = rec[name]
	}
	p := parsed{canon: canon{typ: typ}}
	var text [nFields][]byte
	for _, f := range required[typ] {
		t, kind := scalar(vals[f])
		switch {
		case kind == kBad:
			return p, fieldNames[f] + " must be a string or a number"
		case len(t) == 0:
			return p, "Missing " + fieldNames[f]
		case len(t) > maxIDLen:
			return p, fieldNames[f] + " is longer than 255 characters"
		}
		text[f] = t
	}
	for _, f := range []int{fComment, fLocalRef} {
		t, kind := scalar(vals[f])
		if kind == kBad {
			return p, fieldNames[f] + " must be a string or a number"
		}
		text[f] = t
	}
	if msg := p.fill(typ, &text, &vals); msg != "" {
		return p, msg
	}
	var ok bool
	if p.proj, ok = c.projByID[string(p.project)]; !ok {
		return p, "Unknown LocalProjectID"
	}
	if p.res, ok = c.resByName[string(p.resource)]; !ok {
		return p, "Unknown Resource"
	}
	return p, ""
}

// fill sets p's fields from the texts of a record, checking formats.
func (p *parsed) fill(typ uint8, text *[nFields][]byte, vals *[nFields]value) string {
	p.username, p.project, p.localID, p.resource = text[fUsername], text[fProject], text[fLocalID], text[fResource]
	p.comment, p.localRef, p.adjType = text[fComment], text[fLocalRef], text[fAdjType]
	if msg := p.times(typ, text); msg != "" {
		return msg
	}
	var ok bool
	if p.ch, ok = parseCharge(text[fCharge]); !ok {
		return "Charge is not a number"
	}
	p.charge = text[fCharge]
	if typ != typAdjustment && p.ch.sign(p.charge) < 0 {
		return "Charge must not be negative"
	}
	switch typ {
	case typAdjustment:
		if !validAdjustmentType(string(p.adjType)) {
			return "AdjustmentType must be one of " + strings.Join(adjustmentTypes, ", ")
		}
	case typCompute:
		t, kind := parentID(vals[fParent])
		if kind == kBad {
			return "ParentRecordID must be a string, a number or a one-element array"
		}
		p.parent = t
	}
	if typ != typAdjustment {
		return p.fillAttrs(vals[fAttributes])
	}
	return ""
}

func validAdjustmentType(s string) bool {
	for _, a := range adjustmentTypes {
		if a == s {
			return true
		}
	}
	return false
}

// times parses the record's times and checks that a job ends no earlier than it starts.
func (p *parsed) times(typ uint8, text *[nFields][]byte) string {
	for _, f := range required[typ] {
		var dst *time.Time
		switch f {
		case fSubmit:
			dst = &p.submit
		case fStart:
			dst = &p.start
		case fEnd:
			dst = &p.end
		case fCollection:
			dst = &p.collection
		default:
			continue
		}
		t, ok := parseTime(string(text[f]))
		if !ok {
			return fieldNames[f] + " is not an ISO 8601 time"
		}
		*dst = t
	}
	if typ == typCompute && p.end.Before(p.start) {
		return "EndTime is before StartTime"
	}
	return ""
}

// fillAttrs reads Attributes: an object (or null) whose known keys hold
// strings or numbers; counts and sizes must be non-negative numbers.
func (p *parsed) fillAttrs(v value) string {
	if v.kind == vAbsent {
		return ""
	}
	var attrs wireRecord
	if v.kind != vOther || v.text[0] != '{' || json.Unmarshal(v.text, &attrs) != nil {
		return "Attributes must be an object"
	}
	for i, k := range attrNames[p.typ] {
		t, kind := scalar(attrs[k])
		switch {
		case kind == kBad:
			return "Attributes." + k + " must be a string or a number"
		case kind == kAbsent:
		case !textAttrs[k] && !nonNegative(t):
			return "Attributes." + k + " is not a non-negative number"
		case len(t) > maxIDLen:
			return "Attributes." + k + " is longer than 255 characters"
		default:
			p.attrs[i] = t
		}
	}
	return ""
}

func nonNegative(t []byte) bool {
	c, ok := parseCharge(t)
	return ok && c.sign(t) >= 0
}
