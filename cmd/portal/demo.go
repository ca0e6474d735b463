package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os/signal"
	"path/filepath"
	"strings"
	"time"

	"github.com/accounting-portal/portal/internal/app"
	"github.com/accounting-portal/portal/internal/config"
	"github.com/accounting-portal/portal/internal/demo"
	"github.com/accounting-portal/portal/internal/mailcatch"
	"github.com/accounting-portal/portal/internal/sim"
)

// runDemo runs the portal with the four simulators and a development
// identity provider, all in this process, on a SQLite file in a data
// directory.
func runDemo(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("portal demo", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dataDir := fs.String("data", "./portal-data", "directory for the demo's SQLite file, CA certificate and projects file")
	addr := fs.String("addr", "127.0.0.1:8080", "address the portal listens on")
	seed := fs.Int64("seed", 1, "seed of the simulated data")
	scale := fs.Float64("scale", 1, "size of the simulated data")
	logLevel := fs.String("log-level", "info", "debug, info, warn or error")
	if err := fs.Parse(args); err != nil {
		return err
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(*logLevel)); err != nil {
		return fmt.Errorf("demo: -log-level: %w", err)
	}
	log := newLogger(stderr, level, "text")
	hup := notifyHUP()
	defer signal.Stop(hup)

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("demo: listen on %s: %w", *addr, err)
	}
	defer ln.Close()
	host := browserHost(ln.Addr().(*net.TCPAddr))
	publicURL := "http://" + host

	sims, err := sim.Start(sim.Config{Argo: "127.0.0.1:0", OBI: "127.0.0.1:0", AMIE: "127.0.0.1:0", VergeOS: "127.0.0.1:0",
		TLSDir: *dataDir, Seed: *seed, Scale: *scale, Live: true})
	if err != nil {
		return err
	}
	defer sims.Close(context.Background())

	idp, stopIdP, err := demo.StartIdP(strings.Split(host, ":")[0], publicURL, sims.World)
	if err != nil {
		return err
	}
	defer stopIdP()

	projectsFile := filepath.Join(*dataDir, "projects.json")
	if err := demo.WriteCatalog(projectsFile, demo.Catalog(sims.World)); err != nil {
		return err
	}
	catcher, err := mailcatch.Start("127.0.0.1:0")
	if err != nil {
		return err
	}
	defer catcher.Close()
	env := demo.Env(*dataDir, publicURL, idp.Issuer(), projectsFile, sims.Info)
	demo.MailEnv(env, catcher)
	cfg, err := config.Load(nil, func(k string) string { return env[k] }, stderr)
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	cfg.LogLevel = level
	a, err := app.New(ctx, cfg, app.Options{Logger: log, DemoMail: catcher})
	if err != nil {
		return err
	}
	if err := demo.SeedCosts(ctx, a, sims, time.Now()); err != nil {
		return err
	}
	if err := demo.RememberPeople(ctx, a, sims.World); err != nil {
		return err
	}
	if err := demo.SeedNotifications(ctx, a, sims.World, log); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Accounting portal demo: open %s and sign in as admin, manager, manager-b or viewer.\n", publicURL)
	fmt.Fprintf(stdout, "Data in %s; simulators: %s\n", *dataDir, simSummary(sims.Info))
	fmt.Fprintf(stdout, "Mail goes to the demo's SMTP catcher (%s): sign in as admin and open %s/demo/mail.\n", catcher.Addr(), publicURL)
	hupCtx, stopHUP := context.WithCancel(ctx)
	defer stopHUP()
	go reloadOnHUP(hupCtx, hup, a)
	return a.Run(ctx, ln)
}

// browserHost is the host:port a browser on this machine reaches addr at.
func browserHost(addr *net.TCPAddr) string {
	ip := addr.IP.String()
	if addr.IP.IsUnspecified() {
		ip = "127.0.0.1"
	}
	return net.JoinHostPort(ip, fmt.Sprint(addr.Port))
}

func simSummary(info sim.Info) string {
	var parts []string
	if info.OBI != nil {
		parts = append(parts, "OBI "+info.OBI.URL)
	}
	if info.Argo != nil {
		parts = append(parts, "ARGO "+info.Argo.URL)
	}
	if info.AMIE != nil {
		parts = append(parts, "AMIE "+info.AMIE.URL)
	}
	if info.VergeOS != nil {
		parts = append(parts, "VergeOS "+info.VergeOS.URL)
	}
	return strings.Join(parts, ", ")
}
