// Package sim runs the upstream simulators on loopback listeners: the ARGO
// and VergeOS ones over HTTPS with a generated CA (their real client
// libraries hard-code https), OBI and AMIE over plain HTTP. It is what
// `portal sim` and `portal demo` start.
package sim

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/accounting-portal/portal/internal/sim/amie"
	"github.com/accounting-portal/portal/internal/sim/argo"
	"github.com/accounting-portal/portal/internal/sim/obi"
	"github.com/accounting-portal/portal/internal/sim/simtls"
	"github.com/accounting-portal/portal/internal/sim/vergeos"
	"github.com/accounting-portal/portal/internal/sim/world"
)

// Config says which simulators to start and where. An empty address leaves
// that simulator off; "127.0.0.1:0" picks a free port.
type Config struct {
	Argo, OBI, AMIE, VergeOS string
	// TLSDir is where ca.pem is written; empty means a new temporary directory.
	TLSDir string
	Seed   int64
	Scale  float64
	// Now is the simulators' clock; nil means time.Now.
	Now func() time.Time
	// Live makes simulators whose data can move with time (OBI jobs being
	// charged) do so, for the demo; off, the data depends only on the seed
	// and the scale.
	Live bool
	// ArgoDays is the length of the ARGO simulator's metric series in days
	// (0: a year). Tests that need no year of history ask for less.
	ArgoDays int
}

// Info describes the running simulators: base URLs and credentials. It is
// the JSON line `portal sim` prints.
type Info struct {
	Argo    *ArgoInfo    `json:"argo,omitempty"`
	OBI     *OBIInfo     `json:"obi,omitempty"`
	AMIE    *AMIEInfo    `json:"amie,omitempty"`
	VergeOS *VergeOSInfo `json:"vergeos,omitempty"`
	CAFile  string       `json:"ca_file"`
	Seed    int64        `json:"seed"`
	Scale   float64      `json:"scale"`
}

// ArgoInfo locates the ARGO simulator. URL is the base the portal's client
// takes; Host is what the Python library's --host option takes.
type ArgoInfo struct {
	URL           string `json:"url"`
	Host          string `json:"host"`
	Token         string `json:"token"`
	ReadOnlyToken string `json:"readonly_token"`
}

// OBIInfo locates the OBI simulator (ACCOUNTING_BASE_URL for the SDK).
type OBIInfo struct {
	URL string `json:"url"`
}

// AMIEInfo locates the AMIE simulator; URL is amieclient's usage_url.
type AMIEInfo struct {
	URL    string `json:"url"`
	Site   string `json:"site"`
	APIKey string `json:"api_key"`
}

// VergeOSInfo locates the VergeOS simulator.
type VergeOSInfo struct {
	URL      string `json:"url"`
	User     string `json:"user"`
	Password string `json:"password"`
	APIKey   string `json:"api_key"`
}

// Running is a set of started simulators.
type Running struct {
	Info    Info
	CA      *simtls.CA
	World   *world.World
	Argo    *argo.Server
	OBI     *obi.Server
	AMIE    *amie.Server
	VergeOS *vergeos.Server
	servers []*http.Server
	done    chan error
	// fresh are the connections that have not sent a request yet; Close
	// closes them at once (a server's shutdown waits five seconds for a
	// connection a client opened but did not use, as HTTP clients do).
	mu      sync.Mutex
	fresh   map[net.Conn]bool
	closing bool
}

// Start starts the simulators named in cfg and returns once they listen.
func Start(cfg Config) (*Running, error) {
	if cfg.Scale <= 0 {
		cfg.Scale = 1
	}
	ca, err := simtls.New()
	if err != nil {
		return nil, err
	}
	dir := cfg.TLSDir
	if dir == "" {
		if dir, err = os.MkdirTemp("", "portal-sim-"); err != nil {
			return nil, fmt.Errorf("sim: %w", err)
		}
	}
	caFile, err := ca.WriteFile(dir)
	if err != nil {
		return nil, err
	}
	w := world.New(cfg.Seed, cfg.Scale)
	r := &Running{CA: ca, World: w, done: make(chan error, 4), Info: Info{CAFile: caFile, Seed: cfg.Seed, Scale: cfg.Scale}}

	if cfg.Argo != "" {
		r.Argo = argo.New(argo.Options{World: w, Now: cfg.Now, Days: cfg.ArgoDays})
		addr, err := r.serve(cfg.Argo, r.Argo, true)
		if err != nil {
			return nil, r.fail(err)
		}
		r.Info.Argo = &ArgoInfo{URL: "https://" + addr, Host: addr, Token: r.Argo.Token(), ReadOnlyToken: r.Argo.ReadOnlyToken()}
	}
	if cfg.OBI != "" {
		r.OBI = obi.New(obi.Options{World: w, Now: cfg.Now, Live: cfg.Live})
		addr, err := r.serve(cfg.OBI, r.OBI, false)
		if err != nil {
			return nil, r.fail(err)
		}
		r.Info.OBI = &OBIInfo{URL: "http://" + addr}
	}
	if cfg.AMIE != "" {
		r.AMIE = amie.New(amie.Options{World: w, Now: cfg.Now})
		addr, err := r.serve(cfg.AMIE, r.AMIE, false)
		if err != nil {
			return nil, r.fail(err)
		}
		r.Info.AMIE = &AMIEInfo{URL: "http://" + addr + amie.BasePath, Site: r.AMIE.Site(), APIKey: r.AMIE.APIKey()}
	}
	if cfg.VergeOS != "" {
		r.VergeOS = vergeos.New(vergeos.Options{World: w, Now: cfg.Now, RateLimit: vergeos.DefaultRateLimit})
		addr, err := r.serve(cfg.VergeOS, r.VergeOS, true)
		if err != nil {
			return nil, r.fail(err)
		}
		r.Info.VergeOS = &VergeOSInfo{URL: "https://" + addr, User: r.VergeOS.User(), Password: r.VergeOS.Password(), APIKey: r.VergeOS.APIKey()}
	}
	return r, nil
}

func (r *Running) serve(addr string, h http.Handler, useTLS bool) (string, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", fmt.Errorf("sim: listen %s: %w", addr, err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, ConnState: r.connState}
	r.servers = append(r.servers, srv)
	go func() {
		var err error
		if useTLS {
			srv.TLSConfig = r.CA.ServerConfig()
			err = srv.ServeTLS(ln, "", "")
		} else {
			err = srv.Serve(ln)
		}
		if !errors.Is(err, http.ErrServerClosed) {
			r.done <- err
		}
	}()
	return ln.Addr().String(), nil
}

// connState keeps the connections that have not sent a request yet.
func (r *Running) connState(c net.Conn, st http.ConnState) {
	r.mu.Lock()
	defer r.mu.Unlock()
	switch {
	case st == http.StateNew && r.closing:
		c.Close() // accepted while the simulators stop
	case st == http.StateNew:
		if r.fresh == nil {
			r.fresh = map[net.Conn]bool{}
		}
		r.fresh[c] = true
	default:
		delete(r.fresh, c)
	}
}

func (r *Running) fail(err error) error {
	r.Close(context.Background())
	return err
}

// Err returns a channel that yields an error if a simulator stops serving.
func (r *Running) Err() <-chan error { return r.done }

// Close stops every simulator, waiting for requests in flight until ctx
// ends; connections that carry no request are closed at once.
func (r *Running) Close(ctx context.Context) error {
	r.mu.Lock()
	r.closing = true
	for c := range r.fresh {
		c.Close()
	}
	r.mu.Unlock()
	var errs []error
	for _, s := range r.servers {
		if err := s.Shutdown(ctx); err != nil {
			errs = append(errs, s.Close())
		}
	}
	return errors.Join(errs...)
}
