package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"time"

	"github.com/accounting-portal/portal/internal/demo"
	"github.com/accounting-portal/portal/internal/sim"
	"github.com/accounting-portal/portal/internal/sim/world"
)

// Seed is the simulators' seed; the users' projects depend on it.
const Seed = 1

// Stack is a running portal with its simulators and Dex, each its own
// process, as an operator would run them.
type Stack struct {
	Tools Tools
	// Dir holds the binaries' work files and logs.
	Dir string
	// PortalURL is the portal's public URL; Issuer is Dex's.
	PortalURL, Issuer string
	// Sims is what `portal sim` printed.
	Sims sim.Info
	// Users are the people who can sign in, by ID.
	Users map[string]User
	procs []*process
}

// process is one started program.
type process struct {
	name string
	cmd  *exec.Cmd
	log  string
	done chan error
}

// StartStack builds the portal binary and starts `portal sim`, Dex and
// `portal serve` in dir. It returns when the portal answers /readyz. On
// error, what was started is stopped again.
func StartStack(ctx context.Context, tools Tools, dir string) (st *Stack, err error) {
	st = &Stack{Tools: tools, Dir: dir, Users: map[string]User{}}
	defer func() {
		if err != nil {
			st.Stop()
			st = nil
		}
	}()
	bin := filepath.Join(dir, "bin", "portal")
	if err := buildPortal(ctx, bin); err != nil {
		return nil, err
	}
	if err := st.startSims(ctx, bin); err != nil {
		return nil, err
	}
	for _, u := range usersFrom(demo.Users(world.New(Seed, 1))) {
		st.Users[u.ID] = u
	}
	portalAddr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	dexAddr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	st.PortalURL, st.Issuer = "http://"+portalAddr, "http://"+dexAddr+"/dex"
	if err := st.startDex(ctx, dexAddr); err != nil {
		return nil, err
	}
	if err := st.startPortal(ctx, bin, portalAddr); err != nil {
		return nil, err
	}
	return st, nil
}

// buildPortal compiles ./cmd/portal once per test run.
func buildPortal(ctx context.Context, out string) error {
	gobin := filepath.Join(runtime.GOROOT(), "bin", "go")
	if _, err := os.Stat(gobin); err != nil {
		gobin = "go"
	}
	cmd := exec.CommandContext(ctx, gobin, "build", "-o", out, "github.com/accounting-portal/portal/cmd/portal")
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("e2e: go build ./cmd/portal: %w\n%s", err, b)
	}
	return nil
}

// startSims runs `portal sim` and reads its JSON line.
func (st *Stack) startSims(ctx context.Context, bin string) error {
	projects := filepath.Join(st.Dir, "projects.json")
	p, stdout, err := st.start(bin, "sim", nil, "sim", "-tls-dir", filepath.Join(st.Dir, "sim"), "-projects", projects, "-seed", fmt.Sprint(Seed))
	if err != nil {
		return err
	}
	lines := make(chan string, 1)
	go func() {
		r := bufio.NewReader(stdout)
		line, _ := r.ReadString('\n')
		lines <- line
		io.Copy(io.Discard, r)
	}()
	select {
	case line := <-lines:
		if err := json.Unmarshal([]byte(line), &st.Sims); err != nil {
			return fmt.Errorf("e2e: portal sim printed %q: %w (log: %s)", line, err, p.log)
		}
	case err := <-p.done:
		return fmt.Errorf("e2e: portal sim stopped: %v (log: %s)", err, p.log)
	case <-time.After(time.Minute):
		return fmt.Errorf("e2e: portal sim printed nothing within a minute (log: %s)", p.log)
	case <-ctx.Done():
		return ctx.Err()
	}
	return nil
}

// startDex writes Dex's configuration and runs it until its discovery
// document answers.
func (st *Stack) startDex(ctx context.Context, addr string) error {
	cfgPath := filepath.Join(st.Dir, "dex.json")
	users := make([]User, 0, len(st.Users))
	for _, u := range st.Users {
		users = append(users, u)
	}
	if err := WriteDexConfig(cfgPath, DexConfig{Issuer: st.Issuer, Listen: addr, PortalURL: st.PortalURL, Users: users}); err != nil {
		return err
	}
	p, _, err := st.start(st.Tools.Dex, "dex", []string{"DEX_SESSIONS_ENABLED=true"}, "serve", cfgPath)
	if err != nil {
		return err
	}
	return waitHTTP(ctx, p, st.Issuer+"/.well-known/openid-configuration")
}

// PortalEnv is the portal's configuration: the demo's settings for the
// simulators, with Dex as the identity provider.
func (st *Stack) PortalEnv(addr string) map[string]string {
	env := demo.Env(st.Dir, st.PortalURL, st.Issuer, filepath.Join(st.Dir, "projects.json"), st.Sims)
	env["PORTAL_ADDR"] = addr
	env["PORTAL_OIDC_CLIENT_ID"] = DexClientID
	env["PORTAL_OIDC_CLIENT_SECRET"] = DexClientSecret
	env["PORTAL_OIDC_SCOPES"] = "openid,profile,email,groups"
	env["PORTAL_LOG_LEVEL"] = "debug"
	return env
}

// startPortal runs `portal serve` until /readyz answers.
func (st *Stack) startPortal(ctx context.Context, bin, addr string) error {
	var env []string
	for k, v := range st.PortalEnv(addr) {
		env = append(env, k+"="+v)
	}
	p, _, err := st.start(bin, "portal", env, "serve")
	if err != nil {
		return err
	}
	return waitHTTP(ctx, p, st.PortalURL+"/readyz")
}

// start runs a program with its output in <dir>/<name>.log (stdout is
// returned as a pipe instead when the caller reads it: only for sim).
func (st *Stack) start(bin, name string, env []string, args ...string) (*process, io.Reader, error) {
	logPath := filepath.Join(st.Dir, name+".log")
	logf, err := os.Create(logPath)
	if err != nil {
		return nil, nil, fmt.Errorf("e2e: %w", err)
	}
	cmd := exec.Command(bin, args...)
	cmd.Env = append(cleanEnv(), env...)
	cmd.Stderr = logf
	var stdout io.Reader
	if name == "sim" {
		if stdout, err = cmd.StdoutPipe(); err != nil {
			return nil, nil, err
		}
	} else {
		cmd.Stdout = logf
	}
	if err := cmd.Start(); err != nil {
		logf.Close()
		return nil, nil, fmt.Errorf("e2e: start %s: %w", name, err)
	}
	p := &process{name: name, cmd: cmd, log: logPath, done: make(chan error, 1)}
	go func() { p.done <- cmd.Wait(); logf.Close() }()
	st.procs = append(st.procs, p)
	return p, stdout, nil
}

// cleanEnv is this process's environment without PORTAL_* settings, so a
// developer's own configuration cannot leak into the portal under test.
func cleanEnv() []string {
	var out []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "PORTAL_") && !strings.HasPrefix(kv, "DEX_") {
			out = append(out, kv)
		}
	}
	return out
}

// waitHTTP polls url until it answers 200, the process stops, or a
// minute passes.
func waitHTTP(ctx context.Context, p *process, url string) error {
	deadline := time.Now().Add(time.Minute)
	var last error
	for time.Now().Before(deadline) {
		resp, err := http.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			err = fmt.Errorf("status %d", resp.StatusCode)
		}
		last = err
		select {
		case err := <-p.done:
			p.done <- err
			return fmt.Errorf("e2e: %s stopped (%v) before %s answered; log:\n%s", p.name, err, url, tail(p.log, 30))
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
	return fmt.Errorf("e2e: %s did not answer within a minute (%v); log:\n%s", url, last, tail(p.log, 30))
}

// Stop ends every process (SIGTERM, then SIGKILL after 10 s), newest first.
func (st *Stack) Stop() error {
	var errs []error
	for i := len(st.procs) - 1; i >= 0; i-- {
		p := st.procs[i]
		p.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case err := <-p.done:
			var exit *exec.ExitError
			if err != nil && !(errors.As(err, &exit) && exit.ExitCode() == 0) {
				// Dex may exit non-zero on SIGTERM; the portal's own
				// commands must shut down cleanly.
				if p.name != "dex" {
					errs = append(errs, fmt.Errorf("e2e: %s exited with %v", p.name, err))
				}
			}
		case <-time.After(10 * time.Second):
			p.cmd.Process.Kill()
			<-p.done
			errs = append(errs, fmt.Errorf("e2e: %s did not stop within 10 s of SIGTERM", p.name))
		}
	}
	st.procs = nil
	return errors.Join(errs...)
}

// Logs returns the last lines of each process's log, for a failure message.
func (st *Stack) Logs(lines int) string {
	var b strings.Builder
	for _, p := range st.procs {
		fmt.Fprintf(&b, "--- %s (%s)\n%s\n", p.name, p.log, tail(p.log, lines))
	}
	return b.String()
}

func tail(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return err.Error()
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// freeAddr returns a loopback address with a port free at the moment.
// The programs need their URLs before they start (Dex's issuer, the
// portal's callback), so the port is chosen here, not by the program.
func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("e2e: no free port: %w", err)
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}
