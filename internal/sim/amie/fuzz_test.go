package amie

import (
	"strings"
	"testing"
)

// FuzzSend feeds arbitrary bodies to POST usage/: the simulator must never
// panic, and must answer 200 with a UsageResponse or 400/413 with {"error"}.
func FuzzSend(f *testing.F) {
	for _, c := range loadCapture(f) {
		if c.Method == "POST" {
			f.Add(c.BodyRaw)
		}
	}
	for _, s := range []string{``, `{}`, `{"UsageType":"Compute","Records":[{}]}`, `{"UsageType":"Storage","Records":[{"Attributes":[1]}]}`,
		`{"UsageType":"Compute","Records":[{"ParentRecordID":[[]],"Charge":"1e5","Username":"\u0000"}]}`} {
		f.Add(s)
	}
	s := newTestSim(f)
	f.Fuzz(func(t *testing.T, body string) {
		code, b := s.call("POST", "/usage/", body)
		var problems []string
		switch code {
		case 200:
			problems = checkReply("POST", "usage/", code, []byte(b))
			if strings.Contains(body, "Storage") {
				problems = nil // storage failures are valid replies that amieclient cannot parse
			}
		case 400, 413:
			problems = checkErrorReply([]byte(b))
		default:
			t.Fatalf("status %d", code)
		}
		if len(problems) > 0 {
			t.Fatalf("%s -> %d %s: %v", body, code, b, problems)
		}
	})
}
