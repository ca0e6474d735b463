package config

import (
	"strings"
	"testing"
)

func TestParseCatalog_VergeOSTenant(t *testing.T) {
	c, err := ParseCatalog([]byte(`{"projects":[{"key":"a","name":"A","vergeos_tenant":"a-vdc"},{"key":"b","name":"B"}]}`), "p.json")
	if err != nil {
		t.Fatal(err)
	}
	if c.Projects[0].VergeOSTenant != "a-vdc" || c.Projects[0].UpstreamID("vergeos") != "a-vdc" || c.Projects[1].VergeOSTenant != "" {
		t.Fatalf("%+v", c.Projects)
	}
	_, err = ParseCatalog([]byte(`{"projects":[{"key":"a","name":"A","vergeos_tenant":"t"},{"key":"b","name":"B","vergeos_tenant":"t"},
		{"key":"c","name":"C","vergeos_tenant":" padded"},{"key":"d","name":"D","vergeos_tenant":"`+strings.Repeat("x", 121)+`"}]}`), "p.json")
	if err == nil {
		t.Fatal("accepted")
	}
	for _, want := range []string{"projects[1]: vergeos id t is also used by project a", "projects[2].vergeos_tenant", "projects[3].vergeos_tenant"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("%v: no %q", err, want)
		}
	}
}
