package main

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/accounting-portal/portal/internal/demo"
	"github.com/accounting-portal/portal/internal/sim"
)

// simChildEnv, set in the environment, makes this binary run the
// simulators (what `portal sim` runs) instead of the benchmark: the
// benchmark starts itself again that way, so the simulators' memory and
// garbage collection stay out of the portal's peak RSS.
const simChildEnv = "PORTAL_BENCH_SIM_CHILD"

// runSimChild serves the four simulators, writes the projects file, prints
// their sim.Info as one JSON line and serves until its standard input
// closes (when the benchmark ends, however it ends).
func runSimChild(args []string) error {
	fs := flag.NewFlagSet("sim", flag.ContinueOnError)
	scale := fs.Float64("scale", 1, "")
	seed := fs.Int64("seed", 1, "")
	dir := fs.String("dir", "", "")
	if err := fs.Parse(args); err != nil {
		return err
	}
	r, err := sim.Start(sim.Config{Argo: "127.0.0.1:0", OBI: "127.0.0.1:0", AMIE: "127.0.0.1:0", VergeOS: "127.0.0.1:0",
		TLSDir: *dir, Seed: *seed, Scale: *scale})
	if err != nil {
		return err
	}
	defer r.Close(context.Background())
	if err := demo.WriteCatalog(filepath.Join(*dir, "projects.json"), demo.Catalog(r.World)); err != nil {
		return err
	}
	line, _ := json.Marshal(r.Info)
	fmt.Println(string(line))
	io.Copy(io.Discard, os.Stdin)
	return nil
}

// simProcess is the simulators running in a child process.
type simProcess struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
	Info  sim.Info
	// ProjectsFile names the simulators' projects (PORTAL_PROJECTS_FILE).
	ProjectsFile string
}

// startSim starts the simulators at scale in a child process and waits
// until they listen (generating the data of a large scale takes a while).
func startSim(dir string, scale float64, seed int64) (*simProcess, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(exe, "-scale", fmt.Sprint(scale), "-seed", fmt.Sprint(seed), "-dir", dir)
	cmd.Env = append(os.Environ(), simChildEnv+"=1")
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start the simulators: %w", err)
	}
	p := &simProcess{cmd: cmd, stdin: stdin, ProjectsFile: filepath.Join(dir, "projects.json")}
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		p.Stop()
		return nil, fmt.Errorf("the simulators stopped before they listened: %w", err)
	}
	if err := json.Unmarshal([]byte(strings.TrimSpace(line)), &p.Info); err != nil {
		p.Stop()
		return nil, fmt.Errorf("the simulators said %q: %w", line, err)
	}
	go io.Copy(io.Discard, out)
	return p, nil
}

// Stop ends the child and waits for it.
func (p *simProcess) Stop() {
	p.stdin.Close()
	p.cmd.Wait()
}
