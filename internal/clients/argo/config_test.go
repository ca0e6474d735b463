package argo

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"
)

func jsonEqual(t *testing.T, a, b []byte) bool {
	t.Helper()
	var x, y any
	if err := json.Unmarshal(a, &x); err != nil {
		t.Fatalf("%v: %s", err, a)
	}
	if err := json.Unmarshal(b, &y); err != nil {
		t.Fatalf("%v: %s", err, b)
	}
	return reflect.DeepEqual(x, y)
}

func TestNew_ValidatesConfig(t *testing.T) {
	for _, c := range []struct {
		cfg   Config
		field string
	}{
		{Config{Token: "t"}, "BaseURL"},
		{Config{BaseURL: "ftp://x", Token: "t"}, "BaseURL"},
		{Config{BaseURL: "https://", Token: "t"}, "BaseURL"},
		{Config{BaseURL: "https://x?a=1", Token: "t"}, "BaseURL"},
		{Config{BaseURL: "https://x"}, "Token"},
		{Config{BaseURL: "https://x", Token: "  "}, "Token"},
		{Config{BaseURL: "https://x", Token: "t", Timeout: -time.Second}, "Timeout"},
		{Config{BaseURL: "https://x", Token: "t", Retries: -1}, "Retries"},
	} {
		if _, err := New(c.cfg); err == nil || !strings.Contains(err.Error(), "Config."+c.field) {
			t.Errorf("%+v: error %v, want one naming %s", c.cfg, err, c.field)
		}
	}
	for in, want := range map[string]string{
		"https://api.acc.argo.grnet.gr":              "https://api.acc.argo.grnet.gr/accounting-system",
		"https://api.acc.argo.grnet.gr/":             "https://api.acc.argo.grnet.gr/accounting-system",
		"https://h:8443/accounting-system/":          "https://h:8443/accounting-system",
		"http://127.0.0.1:9/proxy/accounting-system": "http://127.0.0.1:9/proxy/accounting-system",
		"http://127.0.0.1:9/proxy":                   "http://127.0.0.1:9/proxy/accounting-system",
	} {
		c, err := New(Config{BaseURL: in, Token: "t"})
		if err != nil || c.base != want {
			t.Errorf("%s: base %q, %v; want %s", in, c.base, err, want)
		}
	}
}
