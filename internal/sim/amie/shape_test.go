package amie

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/accounting-portal/portal/internal/decimal"
)

// The rules of API.md §4 and §6: what amieclient 0.6.1 needs of each reply
// to parse it. Each check returns the problems found, so a test can report
// them all.

type shapeCheck struct{ problems []string }

func (c *shapeCheck) fail(path, format string, args ...any) {
	c.problems = append(c.problems, path+": "+fmt.Sprintf(format, args...))
}

func decodeAny(body []byte) (any, error) {
	d := json.NewDecoder(bytes.NewReader(body))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return nil, err
	}
	if d.More() {
		return nil, fmt.Errorf("trailing data after the JSON value")
	}
	return v, nil
}

// checkReply checks a reply to a request of method to path (relative to usage_url).
func checkReply(method, path string, status int, body []byte) []string {
	c := &shapeCheck{}
	v, err := decodeAny(body)
	switch {
	case method == "DELETE":
		if status < 200 || status > 299 {
			c.fail("status", "DELETE needs any 2xx, got %d", status)
		}
	case err != nil:
		c.fail("body", "not JSON: %v", err)
	case method == "POST":
		if status != 200 {
			c.fail("status", "POST usage/ needs exactly 200, got %d", status)
		}
		c.usageResponse(v)
	case strings.HasPrefix(path, "usage/failed"):
		if status != 200 {
			c.fail("status", "want 200, got %d", status)
		}
		c.failedList(v)
	case strings.HasPrefix(path, "usage/status"):
		if status != 200 {
			c.fail("status", "want 200, got %d", status)
		}
		c.statusList(v)
	default:
		c.fail("path", "unknown endpoint %s", path)
	}
	return c.problems
}

// checkErrorReply checks an error answer: a JSON object with an "error" string (§6).
func checkErrorReply(body []byte) []string {
	c := &shapeCheck{}
	v, err := decodeAny(body)
	if err != nil {
		c.fail("body", "not JSON: %v", err)
		return c.problems
	}
	obj, ok := v.(map[string]any)
	if !ok {
		c.fail("body", "not an object")
		return c.problems
	}
	if _, ok := obj["error"].(string); !ok {
		c.fail("error", "missing or not a string")
	}
	return c.problems
}

func (c *shapeCheck) usageResponse(v any) {
	obj, ok := v.(map[string]any)
	if !ok {
		c.fail("body", "UsageResponse must be an object")
		return
	}
	if _, ok := obj["Message"].(string); !ok {
		c.fail("Message", "required string")
	}
	c.failedRecords(obj, "ValidationFailedRecords")
}

func (c *shapeCheck) failedList(v any) {
	obj, ok := v.(map[string]any)
	if !ok {
		c.fail("body", "FailedUsageResponse must be an object")
		return
	}
	c.failedRecords(obj, "ValidationFailedRecords")
}

func (c *shapeCheck) failedRecords(obj map[string]any, key string) {
	raw, present := obj[key]
	if !present {
		return
	}
	list, ok := raw.([]any)
	if !ok {
		c.fail(key, "must be an array")
		return
	}
	for i, e := range list {
		path := fmt.Sprintf("%s[%d]", key, i)
		rec, ok := e.(map[string]any)
		if !ok {
			c.fail(path, "must be an object")
			continue
		}
		if e, ok := rec["Error"]; ok {
			if _, s := e.(string); !s {
				c.fail(path+".Error", "must be a string")
			}
		}
		if id, ok := rec["FailedRecordID"]; ok {
			if n, isNum := id.(json.Number); !isNum || strings.ContainsAny(n.String(), ".eE") {
				c.fail(path+".FailedRecordID", "must be an integer")
			}
		}
		c.recordType(path, rec, false)
	}
}

// recordType checks UsageType and the keys that record type needs; strict
// applies the status rules (no defaultdict: every required key present).
func (c *shapeCheck) recordType(path string, rec map[string]any, strict bool) {
	switch rec["UsageType"] {
	case "Compute":
		if a, ok := rec["Attributes"].(map[string]any); !ok || a == nil {
			c.fail(path+".Attributes", "a compute record needs an Attributes object")
		}
		if strict {
			c.keys(path, rec, "Username", "LocalProjectID", "LocalRecordID", "Resource", "SubmitTime", "StartTime", "EndTime", "Charge")
		}
	case "Adjustment":
		if strict {
			c.keys(path, rec, "AdjustmentType", "Charge", "StartTime", "LocalProjectID", "LocalRecordID", "Resource", "Username")
		}
	case "Storage":
		c.fail(path+".UsageType", "amieclient 0.6.1 cannot parse a storage failure (TypeError)")
	default:
		c.fail(path+".UsageType", "must be Compute, Storage or Adjustment, got %v", rec["UsageType"])
	}
}

func (c *shapeCheck) keys(path string, rec map[string]any, keys ...string) {
	for _, k := range keys {
		if _, ok := rec[k]; !ok {
			c.fail(path+"."+k, "required")
		}
	}
}

func (c *shapeCheck) statusList(v any) {
	list, ok := v.([]any)
	if !ok {
		c.fail("body", "UsageStatus must be an array")
		return
	}
	for i, e := range list {
		path := fmt.Sprintf("[%d]", i)
		obj, ok := e.(map[string]any)
		if !ok {
			c.fail(path, "must be an object")
			continue
		}
		if _, ok := obj["Resource"].(string); !ok {
			c.fail(path+".Resource", "required string")
		}
		for _, k := range []string{"LoadedRecordCount", "FailedJobCount"} {
			if n, ok := obj[k].(json.Number); !ok || strings.ContainsAny(n.String(), ".eE") {
				c.fail(path+"."+k, "required integer")
			}
		}
		c.totalCharge(path, obj["TotalCharge"])
		c.errorGroups(path, obj)
	}
}

func (c *shapeCheck) totalCharge(path string, v any) {
	var text string
	switch t := v.(type) {
	case string:
		text = t
	case json.Number:
		text = t.String()
	default:
		c.fail(path+".TotalCharge", "required number or string")
		return
	}
	if _, err := decimal.Parse(text); err != nil {
		c.fail(path+".TotalCharge", "not a number: %q", text)
	}
}

func (c *shapeCheck) errorGroups(path string, obj map[string]any) {
	raw, present := obj["Errors"]
	if !present {
		return
	}
	groups, ok := raw.([]any)
	if !ok {
		c.fail(path+".Errors", "must be an array")
		return
	}
	for gi, g := range groups {
		gp := fmt.Sprintf("%s.Errors[%d]", path, gi)
		group, ok := g.(map[string]any)
		if !ok {
			c.fail(gp, "must be an object")
			continue
		}
		if _, ok := group["Error"].(string); !ok {
			c.fail(gp+".Error", "required string")
		}
		recs, ok := group["Records"].([]any)
		if !ok || len(recs) == 0 {
			c.fail(gp+".Records", "required non-empty array")
			continue
		}
		for ri, r := range recs {
			rp := fmt.Sprintf("%s.Records[%d]", gp, ri)
			rec, ok := r.(map[string]any)
			if !ok {
				c.fail(rp, "must be an object")
				continue
			}
			c.recordType(rp, rec, true)
			if r0, _ := recs[0].(map[string]any); rec["UsageType"] != r0["UsageType"] {
				c.fail(rp+".UsageType", "amieclient parses a group as Records[0]'s type %v", r0["UsageType"])
			}
		}
	}
}
