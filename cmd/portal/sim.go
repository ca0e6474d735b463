package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"

	"github.com/accounting-portal/portal/internal/demo"
	"github.com/accounting-portal/portal/internal/sim"
)

// runSim runs the upstream simulators alone and prints one JSON line with
// their URLs and credentials.
func runSim(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("portal sim", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var cfg sim.Config
	fs.StringVar(&cfg.Argo, "argo", "", "serve the ARGO Accounting simulator (HTTPS) on this address, e.g. 127.0.0.1:0")
	fs.StringVar(&cfg.OBI, "obi", "", "serve the OBI accounting simulator on this address")
	fs.StringVar(&cfg.AMIE, "amie", "", "serve the AMIE Usage API simulator on this address")
	fs.StringVar(&cfg.VergeOS, "vergeos", "", "serve the VergeOS billing simulator (HTTPS) on this address")
	fs.StringVar(&cfg.TLSDir, "tls-dir", "", "directory to write ca.pem to (default: a new temporary directory)")
	fs.Int64Var(&cfg.Seed, "seed", 1, "seed of the simulated data")
	fs.Float64Var(&cfg.Scale, "scale", 1, "size of the simulated data (1 is a small demo; 100 is millions of rows)")
	projects := fs.String("projects", "", "write the projects file (PORTAL_PROJECTS_FILE) naming the simulators' projects to this file")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("sim: unexpected arguments: %v", fs.Args())
	}
	if cfg.Argo == "" && cfg.OBI == "" && cfg.AMIE == "" && cfg.VergeOS == "" {
		cfg.Argo, cfg.OBI, cfg.AMIE, cfg.VergeOS = "127.0.0.1:0", "127.0.0.1:0", "127.0.0.1:0", "127.0.0.1:0"
	}
	if cfg.Scale <= 0 {
		return fmt.Errorf("sim: -scale must be positive")
	}
	r, err := sim.Start(cfg)
	if err != nil {
		return err
	}
	// A portal pointed at the simulators needs their projects file: the OBI
	// simulator, like the real service, cannot list its projects.
	if *projects != "" {
		if err := demo.WriteCatalog(*projects, demo.Catalog(r.World)); err != nil {
			return joinErr(fmt.Errorf("sim: -projects: %w", err), r.Close(context.WithoutCancel(ctx)))
		}
	}
	line, err := json.Marshal(r.Info)
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, string(line))
	select {
	case <-ctx.Done():
	case err = <-r.Err():
	}
	return joinErr(err, r.Close(context.WithoutCancel(ctx)))
}

func joinErr(a, b error) error {
	if a != nil {
		return a
	}
	return b
}
