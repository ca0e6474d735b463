package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const lab = "1b3b3f0e-4f5c-4c36-a3a6-0a1b2c3d4e5f"

func catalogJSON(keys ...string) string {
	var ps []string
	for _, k := range keys {
		ps = append(ps, `{"key":"`+k+`","name":"`+k+`"}`)
	}
	return `{"virtual_labs":[{"id":"` + lab + `","name":"Lab"}],"projects":[` + strings.Join(ps, ",") + `]}`
}

// replace writes a file the way editors and configuration tools do: a new
// file renamed over the old one.
func replace(t *testing.T, path, body string) {
	t.Helper()
	tmp := path + ".new"
	if err := os.WriteFile(tmp, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}

func TestCatalogFile_ReloadKeepsTheLastGoodVersion(t *testing.T) {
	path := filepath.Join(t.TempDir(), "projects.json")
	replace(t, path, catalogJSON("a"))
	t0 := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	f, err := OpenCatalogFile(path, t0)
	if err != nil {
		t.Fatal(err)
	}
	first := f.Current()
	if len(first.Catalog.Projects) != 1 || first.SHA256 == "" || first.ModTime.IsZero() || !first.LoadedAt.Equal(t0) {
		t.Fatalf("first load %+v", first)
	}
	if f.Changed() {
		t.Fatal("an untouched file reported changed")
	}
	var stored []int
	apply := func(lc *LoadedCatalog) error { stored = append(stored, len(lc.Catalog.Projects)); return nil }

	// Unchanged: nothing is stored again.
	if _, changed, err := f.Reload(t0.Add(time.Minute), apply); err != nil || changed || len(stored) != 0 {
		t.Fatalf("reload of the same file: changed=%v err=%v stored=%v", changed, err, stored)
	}

	// Edited in place, then replaced by rename: both are seen.
	os.WriteFile(path, []byte(catalogJSON("a", "b")), 0o644)
	if !f.Changed() {
		t.Fatal("an edit in place was not seen")
	}
	lc, changed, err := f.Reload(t0.Add(2*time.Minute), apply)
	if err != nil || !changed || len(lc.Catalog.Projects) != 2 || f.Current() != lc || len(stored) != 1 {
		t.Fatalf("reload after an edit: %v %v %+v", changed, err, lc)
	}
	replace(t, path, catalogJSON("a", "b", "c"))
	if !f.Changed() {
		t.Fatal("a replaced file was not seen")
	}
	f.Reload(t0.Add(3*time.Minute), apply)
	good := f.Current()
	if len(good.Catalog.Projects) != 3 {
		t.Fatalf("after rename: %d projects", len(good.Catalog.Projects))
	}

	// Broken: refused whole, every problem listed, the last good one stays.
	replace(t, path, `{"virtual_labs":[],"projects":[{"key":"x y","name":""},{"key":"ok","name":"OK","obi_id":"`+lab+`","obi_vlab_id":"nope"}]}`)
	_, changed, err = f.Reload(t0.Add(4*time.Minute), apply)
	if err == nil || changed || f.Current() != good {
		t.Fatalf("broken file: changed=%v err=%v", changed, err)
	}
	st := f.Status()
	for _, want := range []string{"projects[0].key", "projects[0].name is empty", "projects[1].obi_vlab_id"} {
		if !strings.Contains(st.Error, want) {
			t.Errorf("status error lacks %q: %s", want, st.Error)
		}
	}
	if !st.ErrorAt.Equal(t0.Add(4*time.Minute)) || st.Current != good || st.Path != path {
		t.Fatalf("status %+v", st)
	}
	if f.Changed() {
		t.Fatal("the same broken file reported changed again (it would be reloaded at every poll)")
	}

	// A store that fails: refused too.
	replace(t, path, catalogJSON("d"))
	if _, _, err := f.Reload(t0.Add(5*time.Minute), func(*LoadedCatalog) error { return errors.New("disk full") }); err == nil || f.Current() != good {
		t.Fatalf("failed store: %v", err)
	}
	if !strings.Contains(f.Status().Error, "disk full") {
		t.Fatalf("status %+v", f.Status())
	}

	// A removed file is refused; fixed again, the error clears.
	os.Remove(path)
	if !f.Changed() {
		t.Fatal("removal not seen")
	}
	if _, _, err := f.Reload(t0.Add(6*time.Minute), apply); err == nil || f.Current() != good {
		t.Fatalf("removed file: %v", err)
	}
	replace(t, path, catalogJSON("a", "b", "c"))
	if lc, changed, err := f.Reload(t0.Add(7*time.Minute), apply); err != nil || changed || lc != good || f.Status().Error != "" {
		t.Fatalf("restored file: %v %v %+v", changed, err, f.Status())
	}
}

func TestOpenCatalogFile_RefusesABrokenFileAtStart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "projects.json")
	replace(t, path, `{"projects": [`)
	if _, err := OpenCatalogFile(path, time.Now()); err == nil || !strings.Contains(err.Error(), path) {
		t.Fatalf("broken file at start: %v", err)
	}
	f, err := OpenCatalogFile("", time.Now())
	if err != nil || f.Changed() || len(f.Current().Catalog.Projects) != 0 {
		t.Fatalf("no file: %v", err)
	}
}
