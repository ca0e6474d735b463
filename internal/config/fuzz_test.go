package config

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/accounting-portal/portal/internal/portal"
)

// FuzzParseCatalog feeds arbitrary bytes to the projects-file parser: it
// must never panic, and a catalogue it accepts must hold its promises
// (valid unique keys) and survive a write and a read unchanged.
func FuzzParseCatalog(f *testing.F) {
	for _, s := range []string{
		``, `{}`, `null`, `[]`, `{"projects":[]}`,
		`{"virtual_labs":[{"id":"0b6f7d0e-3c8a-4f0e-9a51-3e4c2b1d9f10","name":"Cortex Lab"}],"projects":[{"key":"neuro-sim","name":"Neural","argo_id":"NEURO-SIM","obi_id":"5b0c1a5e-6d5f-4d43-8a7e-2f1c0b9e8d71","obi_vlab_id":"0b6f7d0e-3c8a-4f0e-9a51-3e4c2b1d9f10","amie_id":"TG-NEU240001"}]}`,
		`{"projects":[{"key":"a","name":"A"},{"key":"a","name":"B"}]}`,
		`{"projects":[{"key":"a","name":"<script>alert(1)</script>","argo_id":"X"},{"key":"b","name":"B","argo_id":"X"}]}`,
		`{"projects":[{"key":"../etc","name":"x"}]}`, `{"unknown":1}`, `{"projects":[{"key":1}]}`, "{\n\"projects\": [\n{\"key\": \"a\",}\n]}",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := ParseCatalog(b, "fuzz.json")
		if err != nil {
			if c != nil {
				t.Fatal("a refused file still gave a catalogue")
			}
			return
		}
		seen := map[string]bool{}
		for _, p := range c.Projects {
			if !projectKeyRE.MatchString(p.Key) || seen[p.Key] || p.Name == "" {
				t.Fatalf("accepted project %+v", p)
			}
			seen[p.Key] = true
		}
		out, err := json.Marshal(c)
		if err != nil {
			t.Fatal(err)
		}
		again, err := ParseCatalog(out, "again.json")
		if err != nil || !reflect.DeepEqual(normalize(again), normalize(c)) {
			t.Fatalf("catalogue did not survive a round trip: %v\n%+v\n%+v", err, c, again)
		}
	})
}

// normalize treats an empty list and a missing one alike.
func normalize(c *portal.Catalog) portal.Catalog {
	n := *c
	if len(n.VirtualLabs) == 0 {
		n.VirtualLabs = nil
	}
	if len(n.Projects) == 0 {
		n.Projects = nil
	}
	return n
}
