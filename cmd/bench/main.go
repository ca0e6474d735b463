// Command bench measures the portal against its floors and prints each
// goal as a ratio measured in the same run:
//
//   - each upstream's first and incremental sync against fetching the
//     same pages with the same client and concurrency and discarding them;
//   - the ARGO store step against `sqlite3 .import` of the same rows into
//     the same schema;
//   - each page, as admin and as manager, against a static file of the
//     same size on the same server (wrk, or an in-Go load generator of the
//     same shape), with p50/p99 under load and the p50 of one person;
//   - each CSV download against `sqlite3 -csv` running the equivalent
//     SELECT on the same file;
//   - the peak RSS of each sync.
//
// It starts the simulators (`portal sim -scale S`) in a child process,
// syncs into a fresh SQLite file in a temporary directory, and serves the
// pages in process. Usage:
//
//	go run ./cmd/bench -scale 30
//	go run ./cmd/bench -scale 100 -only sync,pages -profile /tmp/prof
//
// It is a benchmark, not a test: it fails only when something does not
// work, never because a ratio misses its goal.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/accounting-portal/portal/internal/app"
	"github.com/accounting-portal/portal/internal/cache"
	"github.com/accounting-portal/portal/internal/config"
	"github.com/accounting-portal/portal/internal/demo"
	"github.com/accounting-portal/portal/internal/portal"
	"github.com/accounting-portal/portal/internal/sim/world"
	"github.com/accounting-portal/portal/internal/syncer"
)

func main() {
	if os.Getenv(simChildEnv) != "" {
		if err := runSimChild(os.Args[1:]); err != nil {
			fmt.Fprintln(os.Stderr, "bench: simulators:", err)
			os.Exit(1)
		}
		return
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "bench:", err)
		}
		os.Exit(1)
	}
}

// options are the command's flags.
type options struct {
	scale    float64
	seed     int64
	duration time.Duration
	conns    int
	repeat   int
	seqN     int
	only     map[string]bool
	ups      []string
	dir      string
	profile  string
	// pages, when set, are the only page paths loaded (as in pageCases).
	pages map[string]bool
}

func (o options) want(part string) bool { return len(o.only) == 0 || o.only[part] }

// bench is one run of the command.
type bench struct {
	o       options
	out     io.Writer // the report
	log     io.Writer // progress
	rows    []row
	sqlite3 string // "" when missing
	loader  loader
}

// row is one line of the report.
type row struct {
	measure, portal, floor, ratio, goal, verdict string
}

func (b *bench) add(r row) {
	b.rows = append(b.rows, r)
	fmt.Fprintf(b.log, "  %s: portal %s, floor %s, ratio %s  [%s]\n", r.measure, r.portal, r.floor, r.ratio, r.verdict)
}

func (b *bench) skip(measure, why string) {
	b.rows = append(b.rows, row{measure: measure, portal: "—", floor: "—", ratio: "—", goal: "", verdict: "skipped: " + why})
	fmt.Fprintf(b.log, "  %s: skipped: %s\n", measure, why)
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o options
	fs.Float64Var(&o.scale, "scale", 30, "size of the simulated data (`portal sim -scale`); the goals are set at 30 and 100")
	fs.Int64Var(&o.seed, "seed", 1, "seed of the simulated data")
	fs.DurationVar(&o.duration, "duration", 5*time.Second, "how long each page (and each static file) is loaded")
	fs.IntVar(&o.conns, "conns", 64, "connections of the page load")
	fs.IntVar(&o.repeat, "repeat", 3, "runs of each incremental sync and CSV download (the median is reported)")
	fs.IntVar(&o.seqN, "seq", 11, "requests of each page sent one at a time for the one-person p50")
	upsFlag := fs.String("upstreams", "argo,obi,amie,vergeos", "comma-separated upstreams whose syncs to measure (the pages and CSVs read all four)")
	loaderName := fs.String("loader", "", "page load generator: wrk or go (default: wrk when installed, else go)")
	only := fs.String("only", "", "comma-separated parts to run: sync, store, pages, csv (default all; store, pages and csv need a sync)")
	fs.StringVar(&o.dir, "dir", "", "working directory for the database and the simulators' files (default: a new temporary directory, removed at the end)")
	pagesFlag := fs.String("pages", "", "comma-separated page paths to load, as in the report (`/budgets,/billing?range=1y`; default every page)")
	fs.StringVar(&o.profile, "profile", "", "write CPU profiles of each portal sync, store step and page load to this directory (go tool pprof -top FILE)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %v", fs.Args())
	}
	if o.scale <= 0 || o.conns <= 0 || o.repeat <= 0 || o.seqN <= 0 || o.duration <= 0 {
		return fmt.Errorf("-scale, -conns, -repeat, -seq and -duration must be positive")
	}
	if *only != "" {
		o.only = map[string]bool{}
		for _, p := range strings.Split(*only, ",") {
			p = strings.TrimSpace(p)
			if !slices.Contains([]string{"sync", "store", "pages", "csv"}, p) {
				return fmt.Errorf("-only: %q is not sync, store, pages or csv", p)
			}
			o.only[p] = true
		}
	}
	if *pagesFlag != "" {
		o.pages = map[string]bool{}
		for _, p := range strings.Split(*pagesFlag, ",") {
			p = strings.TrimSpace(p)
			if !slices.ContainsFunc(pageCases("{project}"), func(pc pageCase) bool { return pc.path == p }) {
				return fmt.Errorf("-pages: %q is not one of the pages the bench loads", p)
			}
			o.pages[p] = true
		}
	}
	for _, u := range strings.Split(*upsFlag, ",") {
		u = strings.TrimSpace(u)
		if !slices.Contains(upstreams, u) {
			return fmt.Errorf("-upstreams: %q is not argo, obi, amie or vergeos", u)
		}
		o.ups = append(o.ups, u)
	}
	if o.dir == "" {
		d, err := os.MkdirTemp("", "portal-bench-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(d)
		o.dir = d
	} else if err := os.MkdirAll(o.dir, 0o755); err != nil {
		return err
	}
	if o.profile != "" {
		if err := os.MkdirAll(o.profile, 0o755); err != nil {
			return err
		}
	}
	b := &bench{o: o, out: stdout, log: stderr}
	if p, err := exec.LookPath("sqlite3"); err == nil {
		b.sqlite3 = p
	}
	b.loader = goLoader{}
	switch p, err := exec.LookPath("wrk"); {
	case *loaderName == "wrk" && err != nil:
		return fmt.Errorf("-loader wrk: wrk is not installed (apt-get install wrk)")
	case *loaderName == "" || *loaderName == "wrk":
		if err == nil {
			b.loader = wrkLoader{path: p}
		}
	case *loaderName != "go":
		return fmt.Errorf("-loader: %q is not wrk or go", *loaderName)
	}
	loadBefore := loadAvg()
	started := time.Now()
	err := b.run(ctx)
	b.report(loadBefore, time.Since(started))
	return err
}

func (b *bench) run(ctx context.Context) error {
	o := b.o
	fmt.Fprintf(b.log, "starting the simulators at scale %g (seed %d)...\n", o.scale, o.seed)
	t := time.Now()
	sp, err := startSim(o.dir, o.scale, o.seed)
	if err != nil {
		return err
	}
	defer sp.Stop()
	fmt.Fprintf(b.log, "simulators ready in %s\n", time.Since(t).Round(time.Millisecond))

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	defer ln.Close()
	base := "http://" + ln.Addr().String()
	w := world.New(o.seed, o.scale)
	idp, stopIdP, err := demo.StartIdP("127.0.0.1", base, w)
	if err != nil {
		return err
	}
	defer stopIdP()
	env := demo.Env(o.dir, base, idp.Issuer(), sp.ProjectsFile, sp.Info)
	cfg, err := config.Load(nil, func(k string) string { return env[k] }, io.Discard)
	if err != nil {
		return err
	}
	cs, err := newClients(cfg)
	if err != nil {
		return err
	}
	defer cs.closeIdle()
	catalog, err := config.LoadCatalog(sp.ProjectsFile)
	if err != nil {
		return err
	}

	// Sync: everything else reads what it wrote.
	if err := b.syncs(ctx, cfg, cs, catalog); err != nil {
		return err
	}
	if o.want("store") {
		if err := b.storeStep(ctx, cfg.DBPath); err != nil {
			return err
		}
	}
	if !o.want("pages") && !o.want("csv") {
		return nil
	}
	a, err := app.New(ctx, cfg, app.Options{Logger: quietLog(b.log), LoginSlowdown: func(context.Context, time.Duration) {}})
	if err != nil {
		return err
	}
	defer a.Close()
	srv := newServer(blobHandler(a.Echo))
	go srv.Serve(ln)
	defer srv.Close()
	cookies := map[string]string{}
	for _, u := range []string{"admin", "manager"} {
		if cookies[u], err = signIn(base, u); err != nil {
			return err
		}
	}
	if o.want("pages") {
		if err := b.pages(ctx, base, cookies, w.Projects[0].Key); err != nil {
			return err
		}
	}
	if o.want("csv") {
		if err := b.csvs(ctx, base, cookies["admin"], cfg.DBPath, w.Projects[0].Key, catalog.Projects[0].OBIID); err != nil {
			return err
		}
	}
	return nil
}

// syncs measures every upstream's first sync (floor, portal, floor: the
// floor is the mean of the two around it), then its incremental syncs
// (floor and portal alternately, -repeat times each, medians), and the
// peak RSS of each portal sync.
func (b *bench) syncs(ctx context.Context, cfg *config.Config, cs *clientSet, catalog *portal.Catalog) error {
	os.Remove(cfg.DBPath)
	db, err := cache.Open(ctx, cfg.DBPath)
	if err != nil {
		return err
	}
	defer db.Close()
	// An empty database of its own answers the first-sync floor's
	// questions ("nothing yet"), whenever that floor runs.
	empty, err := cache.Open(ctx, filepath.Join(b.o.dir, "empty.db"))
	if err != nil {
		return err
	}
	defer empty.Close()
	for _, d := range []*cache.DB{db, empty} {
		if err := d.ReplaceCatalog(ctx, catalog); err != nil {
			return err
		}
	}
	sch := syncer.New(db, quietLog(b.log))
	scale := fmt.Sprintf("scale %g", b.o.scale)
	for _, up := range b.o.ups {
		title := portal.UpstreamTitle(up)
		fmt.Fprintf(b.log, "%s: first sync...\n", title)
		f1, err := runSync(ctx, sch, cs, up, discard{empty}, false)
		if err != nil {
			return err
		}
		stopProf := b.startProfile("sync-first-" + up)
		p, err := runSync(ctx, sch, cs, up, db, true)
		stopProf()
		if err != nil {
			return err
		}
		f2, err := runSync(ctx, sch, cs, up, discard{empty}, false)
		if err != nil {
			return err
		}
		floor := (f1.took + f2.took) / 2
		b.add(ratioRow(fmt.Sprintf("%s first sync, %s (%d rows fetched)", title, scale, f1.rows), p.took, floor, 2, "≤ 2×",
			fmt.Sprintf("fetching the same pages and discarding them (%s, %s)", dur(f1.took), dur(f2.took))))
		b.add(memRow(title+" first sync, peak RSS", p.rss))

		var ps, fs []time.Duration
		var rss int64
		var fetched int64
		for i := range b.o.repeat {
			f, err := runSync(ctx, sch, cs, up, discard{db}, false)
			if err != nil {
				return err
			}
			stopProf := func() {}
			if i == 0 {
				stopProf = b.startProfile("sync-incremental-" + up)
			}
			p, err := runSync(ctx, sch, cs, up, db, true)
			stopProf()
			if err != nil {
				return err
			}
			fs, ps = append(fs, f.took), append(ps, p.took)
			rss = max(rss, p.rss)
			fetched = f.rows
		}
		b.add(ratioRow(fmt.Sprintf("%s incremental sync, %s (%d rows fetched)", title, scale, fetched), median(ps), median(fs), 1.25, "≤ 1.25×",
			fmt.Sprintf("the same, median of %d", b.o.repeat)))
		b.add(memRow(title+" incremental sync, peak RSS", rss))
	}
	return nil
}

// storeStep measures the ARGO store step against sqlite3 .import.
func (b *bench) storeStep(ctx context.Context, dbPath string) error {
	const measure = "ARGO store step (upserts and the end of the run, no network)"
	if b.sqlite3 == "" {
		b.skip(measure, "sqlite3 is not installed (apt-get install sqlite3)")
		return nil
	}
	fmt.Fprintln(b.log, "ARGO store step...")
	csvPath := filepath.Join(b.o.dir, "argo_metrics.csv")
	n, err := exportArgoMetrics(ctx, b.sqlite3, dbPath, csvPath)
	if err != nil {
		return err
	}
	var ps, fs []time.Duration
	for i := range b.o.repeat {
		pdb, fdb := filepath.Join(b.o.dir, "store-portal.db"), filepath.Join(b.o.dir, "store-import.db")
		if err := freshArgoDB(ctx, b.sqlite3, dbPath, pdb); err != nil {
			return err
		}
		if err := freshArgoDB(ctx, b.sqlite3, dbPath, fdb); err != nil {
			return err
		}
		f, err := importArgo(ctx, b.sqlite3, fdb, csvPath)
		if err != nil {
			return err
		}
		stopProf := func() {}
		if i == 0 {
			stopProf = b.startProfile("store-argo")
		}
		p, err := storeArgo(ctx, pdb, csvPath)
		stopProf()
		if err != nil {
			return err
		}
		ps, fs = append(ps, p), append(fs, f)
		for _, f := range []string{pdb, fdb} {
			os.Remove(f)
			os.Remove(f + "-wal")
			os.Remove(f + "-shm")
		}
	}
	b.add(ratioRow(fmt.Sprintf("%s, %d metrics", measure, n), median(ps), median(fs), 1.5, "≤ 1.5×",
		fmt.Sprintf("sqlite3 .import of the same rows into the same schema, median of %d", b.o.repeat)))
	return nil
}

// pageCase is a page the benchmark loads.
type pageCase struct{ name, path string }

func pageCases(projectKey string) []pageCase {
	return []pageCase{
		{"home", "/"},
		{"budgets", "/budgets"},
		{"budget project", "/budgets/projects/" + projectKey},
		{"metrics", "/metrics"},
		{"metrics, 1 year", "/metrics?range=1y"},
		{"metric installations", "/metrics/installations"},
		{"metric definitions", "/metrics/definitions"},
		{"usage", "/usage"},
		{"failed usage records", "/usage/failed"},
		{"billing", "/billing"},
		{"billing, 1 year", "/billing?range=1y"},
	}
}

// pages loads each page as admin and as manager, then a static file of
// the page's size on the same server, right after.
func (b *bench) pages(ctx context.Context, base string, cookies map[string]string, projectKey string) error {
	fmt.Fprintf(b.log, "pages (%s, %d connections, %s each)...\n", b.loader.name(), b.o.conns, b.o.duration)
	scale := fmt.Sprintf("scale %g", b.o.scale)
	for _, pc := range pageCases(projectKey) {
		if b.o.pages != nil && !b.o.pages[strings.ReplaceAll(pc.path, projectKey, "{project}")] {
			continue
		}
		for _, user := range []string{"admin", "manager"} {
			u := base + pc.path
			status, body, err := fetch(ctx, u, cookies[user])
			if err != nil {
				return err
			}
			if status != 200 {
				return fmt.Errorf("%s as %s answered %d", pc.path, user, status)
			}
			p50, err := sequentialP50(ctx, u, cookies[user], b.o.seqN)
			if err != nil {
				return err
			}
			stopProf := b.startProfile("page-" + user + "-" + strings.NewReplacer("/", "_", "?", "_", "=", "_", ",", "", " ", "_").Replace(pc.name))
			pr, err := b.loader.run(ctx, u, cookies[user], b.o.conns, b.o.duration)
			stopProf()
			if err != nil {
				return err
			}
			sr, err := b.loader.run(ctx, fmt.Sprintf("%s/__bench/static/%d", base, len(body)), "", b.o.conns, b.o.duration)
			if err != nil {
				return err
			}
			ratio := pr.rps / sr.rps
			verdict := "met"
			var misses []string
			if ratio < 0.25 {
				misses = append(misses, "req/s")
			}
			if pr.p99 >= 250*time.Millisecond {
				misses = append(misses, "p99")
			}
			if p50 >= 50*time.Millisecond {
				misses = append(misses, "one-person p50")
			}
			if pr.errors > 0 || sr.errors > 0 {
				misses = append(misses, fmt.Sprintf("%d failed requests", pr.errors+sr.errors))
			}
			if len(misses) > 0 {
				verdict = "missed: " + strings.Join(misses, ", ")
			}
			b.add(row{
				measure: fmt.Sprintf("%s `%s` (%s), %s", user, pc.path, kb(len(body)), scale),
				portal:  fmt.Sprintf("%.0f req/s, p50 %s, p99 %s; alone p50 %s", pr.rps, dur(pr.p50), dur(pr.p99), dur(p50)),
				floor:   fmt.Sprintf("%.0f req/s, p99 %s (static %s)", sr.rps, dur(sr.p99), kb(len(body))),
				ratio:   fmt.Sprintf("%.3f", ratio),
				goal:    "≥ 0.25, p99 < 250 ms, alone p50 < 50 ms",
				verdict: verdict,
			})
		}
	}
	return nil
}

// csvs downloads each CSV as admin and runs its SELECT with sqlite3,
// alternately, -repeat times each.
func (b *bench) csvs(ctx context.Context, base, cookie, dbPath, projectKey, obiProject string) error {
	today := time.Now().UTC().Truncate(24 * time.Hour)
	from, to := today.AddDate(-1, 0, 0), today.AddDate(0, 0, 1)
	q := fmt.Sprintf("from=%s&to=%s", from.Format("2006-01-02"), today.Format("2006-01-02"))
	lo, hi := from.Unix(), to.Unix()
	cases := []csvCase{
		{name: "daily metric totals over a year", path: "/metrics.csv?granularity=day&" + q, sql: fmt.Sprintf(`WITH per AS (
	SELECT project_id, provider_id, definition_id, installation_id, (start / 86400) * 86400 AS day, SUM(value) AS s, AVG(value) AS a, COUNT(*) AS n
	FROM argo_metrics WHERE start >= %d AND start < %d GROUP BY project_id, provider_id, definition_id, installation_id, day)
SELECT per.day, per.project_id, COALESCE(NULLIF(ap.title, ''), per.project_id) AS project, per.provider_id,
	COALESCE(NULLIF(pv.name, ''), per.provider_id) AS provider, d.name, d.unit_type, d.metric_type, COUNT(*), SUM(per.n),
	SUM(CASE WHEN d.metric_type = 'aggregated' THEN per.s ELSE per.a END)
FROM per JOIN argo_metric_definitions d ON d.id = per.definition_id
LEFT JOIN argo_projects ap ON ap.id = per.project_id LEFT JOIN argo_providers pv ON pv.id = per.provider_id
GROUP BY per.day, per.project_id, per.provider_id, per.definition_id ORDER BY per.day DESC, project, provider, d.name`, lo, hi)},
		{name: "billing records over a year", path: "/billing/records.csv?" + q, sql: fmt.Sprintf(
			`SELECT * FROM vergeos_billing WHERE period_from >= %d AND period_from < %d ORDER BY period_from, period_to, record_key`, lo, hi)},
		{name: "one project's OBI jobs over a year", path: "/budgets/projects/" + projectKey + "/jobs.csv?" + q, sql: fmt.Sprintf(
			`SELECT job_id, type, subtype, status, name, user_id, reserved_at, started_at, finished_at, cancelled_at, duration, count, size, amount, reserved_amount
FROM obi_jobs WHERE proj_id = '%s' AND finished_at >= %d AND finished_at < %d ORDER BY finished_at DESC, rowid DESC`, obiProject, lo, hi)},
		{name: "failed usage records", path: "/usage/failed.csv", sql: `SELECT * FROM amie_failed ORDER BY error, failed_id`},
	}
	fmt.Fprintln(b.log, "CSV downloads...")
	for _, c := range cases {
		measure := fmt.Sprintf("CSV: %s (`%s`), scale %g", c.name, strings.SplitN(c.path, "?", 2)[0], b.o.scale)
		if b.sqlite3 == "" {
			b.skip(measure, "sqlite3 is not installed (apt-get install sqlite3)")
			continue
		}
		var ps, fs []time.Duration
		var pl, fl int64
		for i := range b.o.repeat {
			stopProf := func() {}
			if i == 0 {
				stopProf = b.startProfile("csv-" + strings.ReplaceAll(c.name, " ", "_"))
			}
			p, n, err := timeDownload(ctx, base+c.path, cookie)
			stopProf()
			if err != nil {
				return err
			}
			f, m, err := timeSQLite(ctx, b.sqlite3, dbPath, c.sql)
			if err != nil {
				return err
			}
			ps, fs, pl, fl = append(ps, p), append(fs, f), n, m
		}
		r := ratioRow(fmt.Sprintf("%s, %d lines", measure, pl), median(ps), median(fs), 1.3, "≤ 1.3×",
			fmt.Sprintf("sqlite3 -csv, the same rows by the equivalent SELECT (%d lines), median of %d", fl, b.o.repeat))
		if pl != fl {
			r.verdict += fmt.Sprintf(" (line counts differ: portal %d, sqlite3 %d)", pl, fl)
		}
		b.add(r)
	}
	return nil
}

// startProfile starts a CPU profile named name when -profile is set and
// returns the function that stops it.
func (b *bench) startProfile(name string) func() {
	if b.o.profile == "" {
		return func() {}
	}
	f, err := os.Create(filepath.Join(b.o.profile, name+".pprof"))
	if err != nil {
		fmt.Fprintln(b.log, "profile:", err)
		return func() {}
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return func() {}
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}
}

func ratioRow(measure string, portal, floor time.Duration, goal float64, goalText, floorText string) row {
	ratio := float64(portal) / float64(max(floor, time.Microsecond))
	verdict := "met"
	if ratio > goal {
		verdict = "missed"
	}
	return row{measure: measure, portal: dur(portal), floor: dur(floor) + " " + floorText, ratio: fmt.Sprintf("%.2f×", ratio), goal: goalText, verdict: verdict}
}

func memRow(measure string, rss int64) row {
	if rss == 0 {
		return row{measure: measure, portal: "unknown", floor: "—", ratio: "—", goal: "≤ 150 MB at scale 100", verdict: "skipped: /proc/self/status has no VmHWM"}
	}
	verdict := "met"
	if rss > 150<<20 {
		verdict = "missed"
	}
	return row{measure: measure, portal: fmt.Sprintf("%.0f MB", float64(rss)/(1<<20)), floor: "—", ratio: "—", goal: "≤ 150 MB at scale 100", verdict: verdict}
}

// report prints the table.
func (b *bench) report(loadBefore string, took time.Duration) {
	w := b.out
	fmt.Fprintf(w, "\n# portal bench: scale %g, seed %d\n\n", b.o.scale, b.o.seed)
	fmt.Fprintf(w, "%s/%s, %d CPUs (GOMAXPROCS %d), %s; load average before %s, after %s; took %s.\n",
		runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), runtime.GOMAXPROCS(0), runtime.Version(), loadBefore, loadAvg(), took.Round(time.Second))
	fmt.Fprintf(w, "Every ratio is portal ÷ floor measured back to back in this run (for pages: portal req/s ÷ static req/s, higher is better).\n")
	fmt.Fprintf(w, "Page load: %s, %d connections, %s per page and per static file; \"alone p50\": %d requests one after another.\n\n",
		b.loader.name(), b.o.conns, b.o.duration, b.o.seqN)
	if b.sqlite3 == "" {
		fmt.Fprintln(w, "sqlite3 is missing (apt-get install sqlite3): the store step and CSV measures are skipped.")
	}
	if _, ok := b.loader.(goLoader); ok {
		fmt.Fprintln(w, "wrk is missing (apt-get install wrk): pages are loaded by the in-Go load generator of the same shape.")
	}
	fmt.Fprintln(w, "| measure | portal | floor | ratio | goal | verdict |")
	fmt.Fprintln(w, "| --- | --- | --- | --- | --- | --- |")
	for _, r := range b.rows {
		fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %s |\n", r.measure, r.portal, r.floor, r.ratio, r.goal, r.verdict)
	}
}

func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}

func dur(d time.Duration) string {
	switch {
	case d >= 10*time.Second:
		return fmt.Sprintf("%.1f s", d.Seconds())
	case d >= time.Second:
		return fmt.Sprintf("%.2f s", d.Seconds())
	case d >= time.Millisecond:
		return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond))
	}
	return fmt.Sprintf("%d µs", d.Microseconds())
}

func kb(n int) string { return fmt.Sprintf("%.1f KB", float64(n)/1000) }
