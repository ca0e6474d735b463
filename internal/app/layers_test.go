package app_test

import (
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

const module = "github.com/accounting-portal/portal/"

// layers are the import rules of docs/DEVELOPMENT.md: the shared domain
// imports nothing of the portal but decimal; an area's domain package
// only the shared domain; the cache no package above it.
var layers = []struct {
	dir     string
	allowed []string // internal packages it may import (nil: see denied)
	denied  []string // internal packages it must not import
}{
	{dir: "internal/portal", allowed: []string{"internal/decimal"}},
	{dir: "internal/budgets", allowed: []string{"internal/portal", "internal/decimal"}},
	{dir: "internal/metrics", allowed: []string{"internal/portal", "internal/decimal"}},
	{dir: "internal/usage", allowed: []string{"internal/portal", "internal/decimal"}},
	{dir: "internal/billing", allowed: []string{"internal/portal", "internal/decimal"}},
	{dir: "internal/costs", allowed: []string{"internal/portal", "internal/decimal"}},
	// Notifications evaluate budget thresholds with the budgets' forecast.
	{dir: "internal/notify", allowed: []string{"internal/portal", "internal/decimal", "internal/budgets"}},
	{dir: "internal/cache", denied: []string{"internal/outbox", "internal/handlers", "internal/clients", "internal/syncer",
		"internal/auth", "internal/app", "internal/mailer"}},
}

// TestLayers_ImportRules keeps the domain packages free of storage,
// delivery and pages, and the cache free of what uses it. An area
// package that does not exist yet is skipped.
func TestLayers_ImportRules(t *testing.T) {
	t.Parallel()
	root := filepath.Join("..", "..")
	for _, l := range layers {
		files, _ := filepath.Glob(filepath.Join(root, l.dir, "*.go"))
		if len(files) == 0 {
			if _, err := os.Stat(filepath.Join(root, l.dir)); err == nil {
				t.Errorf("%s has no Go files", l.dir)
			}
			continue
		}
		for _, f := range files {
			if strings.HasSuffix(f, "_test.go") {
				continue
			}
			parsed, err := parser.ParseFile(token.NewFileSet(), f, nil, parser.ImportsOnly)
			if err != nil {
				t.Fatal(err)
			}
			for _, imp := range parsed.Imports {
				path, _ := strconv.Unquote(imp.Path.Value)
				if !strings.HasPrefix(path, module) {
					continue
				}
				pkg := strings.TrimPrefix(path, module)
				if !allowedImport(pkg, l.allowed, l.denied) {
					t.Errorf("%s imports %s, which its layer may not", filepath.ToSlash(f), pkg)
				}
			}
		}
	}
}

func allowedImport(pkg string, allowed, denied []string) bool {
	for _, d := range denied {
		if pkg == d || strings.HasPrefix(pkg, d+"/") {
			return false
		}
	}
	if allowed == nil {
		return true
	}
	for _, a := range allowed {
		if pkg == a {
			return true
		}
	}
	return false
}
