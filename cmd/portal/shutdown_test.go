package main

import (
	"context"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"testing"
	"time"
)

// demoRun is `portal demo` running in this process.
type demoRun struct {
	stdout, stderr *syncBuffer
	cancel         context.CancelFunc
	done           chan error
}

func startDemo(t *testing.T) *demoRun {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	d := &demoRun{stdout: &syncBuffer{}, stderr: &syncBuffer{}, cancel: cancel, done: make(chan error, 1)}
	go func() {
		d.done <- run(ctx, []string{"demo", "-data", t.TempDir(), "-addr", "127.0.0.1:0"}, func(string) string { return "" }, d.stdout, d.stderr)
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case <-d.done:
		case <-time.After(20 * time.Second):
			t.Error("the demo did not stop")
		}
	})
	waitFor(t, d.stdout, "sign in as admin")
	return d
}

// The demo used to take two seconds to exit: its simulators waited a second
// for each HTTP/2 connection the portal's upstream clients kept open.
func TestDemo_StopsPromptly(t *testing.T) {
	d := startDemo(t)
	// Every upstream has been synced, so every client holds a connection.
	for _, up := range []string{"argo", "obi", "amie", "vergeos"} {
		waitFor(t, d.stderr, "msg=synced upstream="+up)
	}
	start := time.Now()
	d.cancel() // what SIGTERM does, through main's signal.NotifyContext
	select {
	case err := <-d.done:
		took := time.Since(start)
		d.done <- err
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("portal demo stopped in %v", took)
		if took >= time.Second {
			t.Fatalf("portal demo took %v to stop with nothing in flight", took)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the demo did not stop")
	}
}

func TestDemo_SIGHUPReloadsTheProjectsFile(t *testing.T) {
	// Catch SIGHUP in the test too, so that a signal the portal has not yet
	// subscribed to cannot end the test binary.
	safety := make(chan os.Signal, 1)
	signal.Notify(safety, syscall.SIGHUP)
	defer signal.Stop(safety)
	d := startDemo(t)
	if err := syscall.Kill(os.Getpid(), syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	line := waitFor(t, d.stderr, "trigger=SIGHUP")
	if !strings.Contains(line, `msg="projects file loaded" trigger=SIGHUP`) || !strings.Contains(line, "projects=5") {
		t.Fatalf("log: %s", line)
	}
}
