package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// Env is the browser tests' shared world: the stack and Chromium, started
// on first use and stopped by Close at the end of the run.
type Env struct {
	once      sync.Once
	tools     Tools
	toolsErr  error
	startErr  error
	stack     *Stack
	chrome    *Chrome
	artifacts string
	keep      bool // the artifacts directory was named by the user
}

// NewEnv finds the tools; nothing starts until a test asks.
func NewEnv() *Env {
	e := &Env{}
	e.tools, e.toolsErr = FindTools(os.Getenv)
	e.artifacts = os.Getenv(EnvArtifacts)
	e.keep = e.artifacts != ""
	if e.artifacts == "" {
		e.artifacts = filepath.Join(os.TempDir(), fmt.Sprintf("portal-e2e-%s-%d", time.Now().UTC().Format("20060102T150405"), os.Getpid()))
	}
	return e
}

// Artifacts is the directory for screenshots, page sources and logs.
func (e *Env) Artifacts() string { return e.artifacts }

// Need skips the test (or fails it under PORTAL_E2E_REQUIRE=1) when the
// tools are missing, starts the stack on first use, and returns it.
func (e *Env) Need(t testing.TB) *Stack {
	t.Helper()
	if e.toolsErr != nil {
		if os.Getenv(EnvRequire) != "" {
			t.Fatalf("browser tests required (%s is set) but cannot run: %v", EnvRequire, e.toolsErr)
		}
		t.Skipf("browser tests skipped: %v", e.toolsErr)
	}
	e.once.Do(func() {
		dir := filepath.Join(e.artifacts, "stack")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			e.startErr = err
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		e.stack, e.startErr = StartStack(ctx, e.tools, dir)
		if e.startErr != nil {
			return
		}
		e.chrome, e.startErr = StartChrome(e.tools.Chromium)
	})
	if e.startErr != nil {
		t.Fatalf("could not start the portal, Dex and Chromium (logs in %s): %v", e.artifacts, e.startErr)
	}
	return e.stack
}

// Browser starts the stack if needed and opens a fresh browser for the test.
func (e *Env) Browser(t testing.TB) *Browser {
	t.Helper()
	st := e.Need(t)
	return NewBrowser(t, e.chrome, st, e.artifacts)
}

// Close stops Chromium and the processes. When every test passed and the
// artifacts directory was not chosen by the user, it is removed.
func (e *Env) Close(passed bool) error {
	if e.chrome != nil {
		e.chrome.Close()
	}
	var err error
	if e.stack != nil {
		err = e.stack.Stop()
	}
	if passed && !e.keep && err == nil {
		os.RemoveAll(e.artifacts)
	} else if e.stack != nil || e.startErr != nil {
		fmt.Fprintf(os.Stderr, "e2e: screenshots, page sources and process logs are in %s\n", e.artifacts)
	}
	return err
}
