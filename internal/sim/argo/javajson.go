package argo

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// The real server is Java (Jackson): doubles print as Double.toString does
// ("700.0", "1.0E7") and instants as Instant.toString ("…T03:43:40Z", a
// fraction only when non-zero, in groups of three digits). Clients parse
// either form, but a simulator should not be more regular than the server.

// javaFloat is a float64 that marshals like a Java double.
type javaFloat float64

// MarshalJSON writes the value as Jackson would.
func (f javaFloat) MarshalJSON() ([]byte, error) {
	v := float64(f)
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return nil, fmt.Errorf("argo sim: %v is not a JSON number", v)
	}
	return []byte(javaDouble(v)), nil
}

// javaDouble formats v like Java's Double.toString.
func javaDouble(v float64) string {
	if v == 0 {
		if math.Signbit(v) {
			return "-0.0"
		}
		return "0.0"
	}
	if a := math.Abs(v); a >= 1e-3 && a < 1e7 {
		s := strconv.FormatFloat(v, 'f', -1, 64)
		if !strings.Contains(s, ".") {
			s += ".0"
		}
		return s
	}
	s := strconv.FormatFloat(v, 'e', -1, 64)
	mant, exp, _ := strings.Cut(s, "e")
	if !strings.Contains(mant, ".") {
		mant += ".0"
	}
	e, _ := strconv.Atoi(exp)
	return mant + "E" + strconv.Itoa(e)
}

// formatInstant formats t like Java's Instant.toString.
func formatInstant(t time.Time) string {
	t = t.UTC()
	s := t.Format("2006-01-02T15:04:05")
	switch ns := t.Nanosecond(); {
	case ns == 0:
	case ns%1e6 == 0:
		s += fmt.Sprintf(".%03d", ns/1e6)
	case ns%1e3 == 0:
		s += fmt.Sprintf(".%06d", ns/1e3)
	default:
		s += fmt.Sprintf(".%09d", ns)
	}
	return s + "Z"
}

// nullable returns the JSON of s, or null for "".
func nullable(s string) json.RawMessage {
	if s == "" {
		return json.RawMessage("null")
	}
	b, _ := json.Marshal(s)
	return b
}
