package argo

import (
	"os"
	"path/filepath"
	"testing"
)

// seedFixtures adds every library fixture and a few hand-made answers to
// a fuzz corpus.
func seedFixtures(f *testing.F, extra ...string) {
	files, _ := filepath.Glob(fixtureDir + "*.json")
	for _, name := range files {
		if b, err := os.ReadFile(name); err == nil {
			f.Add(b)
		}
	}
	for _, s := range append(extra, `{}`, `null`, `[]`, `{"id":null}`, `{"content":null,"total_pages":-1}`) {
		f.Add([]byte(s))
	}
}

func FuzzDecodeEnvelope(f *testing.F) {
	seedFixtures(f, `{"total_pages":2,"content":[{}]}`)
	f.Fuzz(func(t *testing.T, b []byte) {
		if env, err := decodeEnvelope(b); err == nil && env.Content == nil {
			t.Fatal("an envelope without content was accepted")
		}
	})
}

func FuzzDecodeProject(f *testing.F) {
	seedFixtures(f, `{"id":"p","providers":[{"installations":[{"id":"i","unit_of_access":"m"}]}]}`)
	f.Fuzz(func(t *testing.T, b []byte) {
		if p, err := decodeProject(b); err == nil && p.ID == "" {
			t.Fatal("a project without id was accepted")
		}
	})
}

func FuzzDecodeProvider(f *testing.F) {
	seedFixtures(f, `{"id":"v","external_id":null,"creator_id":""}`)
	f.Fuzz(func(t *testing.T, b []byte) {
		if p, err := decodeProvider(b); err == nil && p.ID == "" {
			t.Fatal("a provider without id was accepted")
		}
	})
}

func FuzzDecodeInstallation(f *testing.F) {
	seedFixtures(f, `{"id":"i","unit_of_access":{"metric_definition_id":"m"},"capacities":[{"value":1}]}`, `{"id":"i","unit_of_access":"m"}`)
	f.Fuzz(func(t *testing.T, b []byte) {
		in, err := decodeInstallation(b)
		if err == nil && (in.ID == "" || (in.UnitOfAccess.Definition != nil && in.UnitOfAccess.Definition.ID != in.UnitOfAccess.MetricDefinitionID)) {
			t.Fatalf("inconsistent installation accepted: %+v", in)
		}
	})
}

func FuzzDecodeMetricDefinition(f *testing.F) {
	seedFixtures(f, `{"metric_definition_id":"m","metric_name":"n","unit_type":"#","metric_type":"count"}`)
	f.Fuzz(func(t *testing.T, b []byte) {
		if md, err := decodeMetricDefinition(b); err == nil && md.ID == "" {
			t.Fatal("a definition without id was accepted")
		}
	})
}

func FuzzDecodeMetric(f *testing.F) {
	seedFixtures(f, `{"id":"a","metric_definition_id":"d","time_period_start":"2024-01-01T00:00:00Z","time_period_end":"2024-01-02T00:00:00.5Z","value":1e3}`)
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := decodeMetric(b)
		if err == nil && (m.ID == "" || m.MetricDefinitionID == "" || m.Start.IsZero() || m.End.IsZero()) {
			t.Fatalf("incomplete metric accepted: %+v", m)
		}
	})
}

func FuzzErrorMessage(f *testing.F) {
	seedFixtures(f, `{"code":404,"message":"There is no Project with the following id: x"}`, ``)
	f.Fuzz(func(t *testing.T, b []byte) {
		if msg := errorMessage(401, b); len(msg) > 310 && len(b) <= 310 {
			t.Fatalf("message longer than the body: %q", msg)
		}
	})
}
