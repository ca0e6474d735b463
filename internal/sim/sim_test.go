package sim

import (
	"context"
	"crypto/tls"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"
)

func TestStart_AllFourServeHealth(t *testing.T) {
	dir := t.TempDir()
	r, err := Start(Config{Argo: "127.0.0.1:0", OBI: "127.0.0.1:0", AMIE: "127.0.0.1:0", VergeOS: "127.0.0.1:0", TLSDir: dir, Seed: 1, Scale: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close(context.Background())
	if r.Info.CAFile != dir+"/ca.pem" {
		t.Fatalf("ca file %s", r.Info.CAFile)
	}
	if _, err := os.Stat(r.Info.CAFile); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(r.Info.Argo.URL, "https://") || !strings.HasPrefix(r.Info.VergeOS.URL, "https://") {
		t.Fatalf("ARGO and VergeOS must be HTTPS: %+v %+v", r.Info.Argo, r.Info.VergeOS)
	}
	if !strings.HasSuffix(r.Info.AMIE.URL, "/api/v1") {
		t.Fatalf("AMIE url %s", r.Info.AMIE.URL)
	}
	c := &http.Client{Transport: &http.Transport{TLSClientConfig: r.CA.ClientConfig()}}
	for _, base := range []string{r.Info.Argo.URL, r.Info.OBI.URL, strings.TrimSuffix(r.Info.AMIE.URL, "/api/v1"), r.Info.VergeOS.URL} {
		resp, err := c.Get(base + "/health")
		if err != nil {
			t.Fatalf("%s: %v", base, err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.Contains(strings.ToLower(string(b)), "ok") {
			t.Fatalf("%s/health = %d %s", base, resp.StatusCode, b)
		}
	}
}

func TestStart_OnlyChosen(t *testing.T) {
	r, err := Start(Config{OBI: "127.0.0.1:0", TLSDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close(context.Background())
	if r.Info.Argo != nil || r.Info.AMIE != nil || r.Info.VergeOS != nil || r.Info.OBI == nil {
		t.Fatalf("info %+v", r.Info)
	}
	if _, err := Start(Config{OBI: "256.0.0.1:0", TLSDir: t.TempDir()}); err == nil {
		t.Fatal("bad address accepted")
	}
}

// A client that opened a connection and sent nothing on it (HTTP clients
// dial ahead) does not hold the simulators' shutdown: a server waits five
// seconds for such a connection.
func TestClose_DoesNotWaitForUnusedConnections(t *testing.T) {
	r, err := Start(Config{Argo: "127.0.0.1:0", OBI: "127.0.0.1:0", TLSDir: t.TempDir(), Seed: 1, Scale: 1})
	if err != nil {
		t.Fatal(err)
	}
	cfg := r.CA.ClientConfig()
	conn, err := tls.Dial("tcp", strings.TrimPrefix(r.Info.Argo.URL, "https://"), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	plain, err := net.Dial("tcp", strings.TrimPrefix(r.Info.OBI.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer plain.Close()
	closed := make(chan error, 1)
	go func() { closed <- r.Close(context.Background()) }()
	select {
	case err := <-closed:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(3 * time.Second):
		t.Fatal("Close still waits 3 s later for connections that carry no request")
	}
}
