// Package e2e runs the portal the way a person meets it: the portal binary
// and the upstream simulators as their own processes, Dex as a real OpenID
// Connect provider, and Debian's headless Chromium driven with chromedp.
//
// The tests need two programs that `go test` cannot fetch by itself:
// Chromium and a Dex binary. Without them the tests skip with a message
// that says how to get them; with PORTAL_E2E_REQUIRE=1 (set by .ci/run)
// a missing program fails the tests instead, so CI can never pass by
// skipping them.
//
// The package is built in layers so that each area page adds only a
// little: Stack starts everything once per test run, Browser is one
// person's browser (own cookies, screenshot on failure), and the page
// objects in pages.go know the portal's landmarks (navigation, sign-out,
// the home page's facts). An area adds its page objects next to them and
// one <area>_test.go file.
package e2e

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
)

// DexCommit is the Dex commit .ci/dex/go.mod pins; the cached binary is
// named after it so a new pin never reuses an old build.
const DexCommit = "ab64ed778070"

// Environment variables that configure the tests.
const (
	// EnvChromium names the Chromium binary (default: /usr/bin/chromium or
	// chromium on PATH).
	EnvChromium = "PORTAL_E2E_CHROMIUM"
	// EnvDex names the Dex binary (default: the one .ci/run caches).
	EnvDex = "PORTAL_E2E_DEX"
	// EnvRequire makes a missing Chromium or Dex a failure, not a skip.
	EnvRequire = "PORTAL_E2E_REQUIRE"
	// EnvArtifacts is where screenshots, page sources and process logs of
	// failed tests go (default: a new directory under the system's temp dir).
	EnvArtifacts = "PORTAL_E2E_ARTIFACTS"
)

// Tools are the outside programs the browser tests drive.
type Tools struct {
	Chromium, Dex string
}

// DexCachePath is where .ci/run keeps the Dex binary between runs on one
// machine: ${XDG_CACHE_HOME:-$HOME/.cache}/portal-ci/dex-<commit>.
func DexCachePath() (string, error) {
	dir, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("e2e: no cache directory: %w", err)
	}
	return filepath.Join(dir, "portal-ci", "dex-"+DexCommit), nil
}

// FindTools locates Chromium and Dex from the environment or their usual
// places. The error says what is missing and how to get it.
func FindTools(getenv func(string) string) (Tools, error) {
	var t Tools
	var problems []error
	t.Chromium = getenv(EnvChromium)
	if t.Chromium == "" {
		for _, name := range []string{"/usr/bin/chromium", "chromium", "chromium-browser"} {
			if p, err := exec.LookPath(name); err == nil {
				t.Chromium = p
				break
			}
		}
	}
	if t.Chromium == "" {
		problems = append(problems, errors.New("no Chromium: install Debian's chromium package (apt-get install chromium) or set "+EnvChromium))
	} else if !executable(t.Chromium) {
		problems = append(problems, fmt.Errorf("%s=%s is not an executable file", EnvChromium, t.Chromium))
	}
	t.Dex = getenv(EnvDex)
	if t.Dex == "" {
		if p, err := DexCachePath(); err == nil && executable(p) {
			t.Dex = p
		}
	}
	if t.Dex == "" {
		p, _ := DexCachePath()
		problems = append(problems, fmt.Errorf("no Dex: run .ci/run once (it builds Dex into %s) or set %s", p, EnvDex))
	} else if !executable(t.Dex) {
		problems = append(problems, fmt.Errorf("%s=%s is not an executable file", EnvDex, t.Dex))
	}
	return t, errors.Join(problems...)
}

func executable(path string) bool {
	st, err := os.Stat(path)
	return err == nil && st.Mode().IsRegular() && st.Mode()&0o111 != 0
}
