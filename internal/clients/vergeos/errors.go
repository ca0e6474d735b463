package vergeos

import (
	"bytes"
	"encoding/json"
	"strings"
	"unicode/utf8"

	"github.com/accounting-portal/portal/internal/portal"
)

// maxMessage bounds an upstream message copied into an error, so a proxy's
// HTML error page does not flood logs and pages.
const maxMessage = 300

// errorMessage extracts VergeOS's own text from an error answer, the way
// pyvergeos does: the first of "err", "error" or "message" that is present,
// each either a string or an object holding "message"; otherwise the raw
// body text. It returns "" for an empty body (the caller then uses the
// status text).
func errorMessage(_ int, body []byte) string {
	body = bytes.TrimSpace(body)
	if len(body) == 0 {
		return ""
	}
	var obj map[string]json.RawMessage
	if json.Unmarshal(body, &obj) == nil {
		for _, k := range []string{"err", "error", "message"} {
			if raw, ok := obj[k]; ok {
				if msg := messageOf(raw); msg != "" {
					return clip(msg)
				}
			}
		}
	}
	return clip(string(body))
}

// messageOf returns a string value, or the "message" of an object value,
// or the JSON text of anything else.
func messageOf(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return strings.TrimSpace(s)
	}
	var obj map[string]json.RawMessage
	if json.Unmarshal(raw, &obj) == nil {
		if m, ok := obj["message"]; ok {
			return messageOf(m)
		}
	}
	if t := strings.TrimSpace(string(raw)); t != "null" {
		return t
	}
	return ""
}

func clip(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) <= maxMessage {
		return s
	}
	cut := maxMessage
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

// malformed is the error for a 2xx answer whose body is not what the API
// promises; where says which request and which element ("page 2 of /billing: [4].used_cores").
func malformed(where string, err error) error {
	return portal.Errorf(portal.EUNAVAILABLE, "%s: %s: %v", upstreamName, where, err)
}
