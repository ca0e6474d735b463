package e2e

import (
	"bufio"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// repoRoot is the repository's top directory, seen from this package.
const repoRoot = "../.."

// TestCI_FuzzListComplete checks that .ci/fuzz.txt lists every fuzz
// target of the repository, and nothing that does not exist.
func TestCI_FuzzListComplete(t *testing.T) {
	listed := map[string]bool{}
	f, err := os.Open(filepath.Join(repoRoot, ".ci", "fuzz.txt"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		fields := strings.Fields(line)
		if len(fields) != 2 || !strings.HasPrefix(fields[0], "./") || !strings.HasPrefix(fields[1], "Fuzz") {
			t.Errorf(".ci/fuzz.txt: %q is not \"./<package> Fuzz<Name>\"", line)
			continue
		}
		listed[strings.TrimPrefix(fields[0], "./")+" "+fields[1]] = true
	}
	found := map[string]bool{}
	fuzzFunc := regexp.MustCompile(`(?m)^func (Fuzz[A-Za-z0-9_]*)\(`)
	filepath.WalkDir(repoRoot, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && path != repoRoot && (strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata") {
			return filepath.SkipDir
		}
		if !strings.HasSuffix(path, "_test.go") {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(repoRoot, filepath.Dir(path))
		for _, m := range fuzzFunc.FindAllStringSubmatch(string(b), -1) {
			found[filepath.ToSlash(rel)+" "+m[1]] = true
		}
		return nil
	})
	for k := range found {
		if !listed[k] {
			t.Errorf("fuzz target %s is not in .ci/fuzz.txt: add \"./%s\"", k, k)
		}
	}
	for k := range listed {
		if !found[k] {
			t.Errorf(".ci/fuzz.txt lists %s, which does not exist", k)
		}
	}
	if len(found) < 19 {
		t.Errorf("only %d fuzz targets found", len(found))
	}
}

// TestCI_DexPinMatchesCache checks that the Dex commit the tests look for
// is the one .ci/dex/go.mod pins for both of Dex's modules.
func TestCI_DexPinMatchesCache(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(repoRoot, ".ci", "dex", "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	for _, mod := range []string{"github.com/dexidp/dex v0.0.0-", "github.com/dexidp/dex/api/v2 v2.4.1-0."} {
		re := regexp.MustCompile(regexp.QuoteMeta(mod) + `[0-9]{14}-([0-9a-f]{12})\b`)
		m := re.FindStringSubmatch(string(b))
		if m == nil || m[1] != DexCommit {
			t.Errorf(".ci/dex/go.mod: %s... pins %v, the tests look for dex-%s", mod, m, DexCommit)
		}
	}
	if !strings.Contains(string(b), "tool github.com/dexidp/dex/cmd/dex") {
		t.Error(".ci/dex/go.mod does not name cmd/dex as a tool")
	}
}
