package vergeos

import (
	"bufio"
	"crypto/tls"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/accounting-portal/portal/internal/sim/simtls"
	"github.com/accounting-portal/portal/internal/sim/world"
)

// The requests pyvergeos 1.2.2 sends through python-requests 2.28.1, as
// API.md §1, §3 and §6 record them: the header set, the encoded query
// strings (space as "+", "$" and "," percent-encoded) and the POST body
// from json.dumps. The shared folder has no .jsonl capture for VergeOS, so
// these are rebuilt byte for byte from those notes.

// pyFields is pyvergeos's BillingManager._default_fields, joined and encoded as requests does.
const pyFields = "%24key%2Ccreated%2Cfrom%2Cto%2Csent%2Cdescription%2Cused_cores%2Ctotal_cores%2Conline_cores%2C" +
	"total_nodes%2Conline_nodes%2Crunning_machines%2Cused_ram%2Ctotal_ram%2Conline_ram%2Cphys_ram_used%2C" +
	"phys_vram_used%2Cphys_total_cpu%2Ctier_0_used%2Ctier_0_total%2Ctier_1_used%2Ctier_1_total%2Ctier_2_used%2C" +
	"tier_2_total%2Ctier_3_used%2Ctier_3_total%2Ctier_4_used%2Ctier_4_total%2Ctier_5_used%2Ctier_5_total%2C" +
	"gpus_total%2Cgpus%2Cgpus_idle%2Cvgpus_total%2Cvgpus%2Cvgpus_idle%2Cworkload_datapoints%2Cstorage_datapoints"

func pyRequest(method, target, auth, body string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: python-requests/2.28.1\r\n", method, target)
	b.WriteString("Accept-Encoding: gzip, deflate\r\nAccept: application/json\r\nConnection: keep-alive\r\n")
	b.WriteString("Content-Type: application/json\r\nAuthorization: " + auth + "\r\n")
	if body != "" || method == "POST" {
		fmt.Fprintf(&b, "Content-Length: %d\r\n", len(body))
	}
	return b.String() + "\r\n" + body
}

// replay sends raw over TLS to srv and returns the answer.
func replay(t *testing.T, srv *httptest.Server, ca *simtls.CA, raw string) (*http.Response, []byte) {
	t.Helper()
	conn, err := tls.Dial("tcp", srv.Listener.Addr().String(), ca.ClientConfig())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := io.WriteString(conn, raw); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, b
}

func TestReplay_PyVergeOSRequests(t *testing.T) {
	// The clock puts the captured window (January 2024) inside the history.
	now := time.Date(2024, 2, 15, 10, 0, 0, 0, time.UTC)
	sim := New(Options{World: world.New(1, 1), Now: func() time.Time { return now }})
	ca, err := simtls.New()
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(sim)
	srv.TLS = ca.ServerConfig()
	srv.StartTLS()
	defer srv.Close()
	basic := "Basic " + base64.StdEncoding.EncodeToString([]byte(DefaultUser+":"+DefaultPassword))
	bearer := "Bearer " + DefaultAPIKey

	t.Run("system check", func(t *testing.T) {
		for _, auth := range []string{basic, bearer} {
			resp, b := replay(t, srv, ca, pyRequest("GET", "/api/v4/system?fields=%24key%2Cyb_version%2Cos_version%2Ccloud_name", auth, ""))
			var sys map[string]any
			if resp.StatusCode != 200 || json.Unmarshal(b, &sys) != nil || len(sys) != 4 || sys["$key"] == nil || sys["os_version"] == nil {
				t.Fatalf("%d %s", resp.StatusCode, b)
			}
		}
	})
	t.Run("list window page", func(t *testing.T) {
		target := "/api/v4/billing?sort=-created&filter=created+ge+1704000000+and+created+le+1706745600&fields=" + pyFields + "&limit=50&offset=100"
		resp, b := replay(t, srv, ca, pyRequest("GET", target, basic, ""))
		if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
			t.Fatalf("%d %s", resp.StatusCode, b)
		}
		got := rows(t, b)
		if len(got) != 50 {
			t.Fatalf("%d rows", len(got))
		}
		prev := int64(1706745600 + 1)
		for i, r := range got {
			c := num(t, r, "created")
			if c < 1704000000 || c > 1706745600 || c >= prev {
				t.Fatalf("row %d created %d: outside the window or not newest first", i, c)
			}
			prev = c
			if len(r) < 37 {
				t.Fatalf("row %d lacks fields: %v", i, r)
			}
		}
		// Offset 100 of newest first: the window's newest record ends at
		// 2024-02-01 00:00 (created a few seconds later, outside), so the
		// first row here is the one whose period ended 101 hours earlier.
		if to := num(t, got[0], "to"); to != 1706745600-101*3600 {
			t.Fatalf("first row of the page ends at %d", to)
		}
	})
	t.Run("latest and get", func(t *testing.T) {
		resp, b := replay(t, srv, ca, pyRequest("GET", "/api/v4/billing?sort=-created&fields="+pyFields+"&limit=1", bearer, ""))
		if resp.StatusCode != 200 || len(rows(t, b)) != 1 {
			t.Fatalf("%d %s", resp.StatusCode, b)
		}
		resp, b = replay(t, srv, ca, pyRequest("GET", "/api/v4/billing/5?fields="+pyFields, basic, ""))
		var one map[string]any
		if resp.StatusCode != 200 || json.Unmarshal(b, &one) != nil || one["$key"].(float64) != 5 {
			t.Fatalf("%d %s", resp.StatusCode, b)
		}
		resp, b = replay(t, srv, ca, pyRequest("GET", "/api/v4/billing/999999?fields="+pyFields, basic, ""))
		if resp.StatusCode != 404 || errBody(t, b) != "not found" {
			t.Fatalf("%d %s", resp.StatusCode, b)
		}
	})
	t.Run("generate", func(t *testing.T) {
		resp, b := replay(t, srv, ca, pyRequest("POST", "/api/v4/billing_actions", basic, `{"action": "generate"}`))
		var reply map[string]any
		if resp.StatusCode != 201 || json.Unmarshal(b, &reply) != nil {
			t.Fatalf("%d %s", resp.StatusCode, b)
		}
		for _, k := range []string{"$key", "location", "dbpath", "$row"} {
			if reply[k] == nil {
				t.Fatalf("create reply lacks %s: %s", k, b)
			}
		}
	})
	t.Run("unauthenticated", func(t *testing.T) {
		resp, b := replay(t, srv, ca, pyRequest("GET", "/api/v4/system", "Basic "+base64.StdEncoding.EncodeToString([]byte("admin:bad")), ""))
		if resp.StatusCode != 401 {
			t.Fatalf("%d", resp.StatusCode)
		}
		errBody(t, b)
	})
}
