package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os/exec"
	"time"
)

// csvCase is one CSV download and the SELECT that gives sqlite3 the same
// rows from the same database file.
type csvCase struct {
	name string
	path string // the portal's URL path and query
	sql  string // the equivalent SELECT, for sqlite3 -csv
}

// timeDownload GETs a CSV and reads it whole, counting its lines.
func timeDownload(ctx context.Context, u, cookie string) (time.Duration, int64, error) {
	req, _ := http.NewRequestWithContext(ctx, "GET", u, nil)
	req.Header.Set("Cookie", cookie)
	start := time.Now()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 300))
		return 0, 0, fmt.Errorf("%s answered %d: %s", u, resp.StatusCode, b)
	}
	lines, err := countLines(resp.Body)
	return time.Since(start), lines, err
}

// timeSQLite runs sqlite3 -csv -header with the query on the file and
// reads its output whole, counting its lines.
func timeSQLite(ctx context.Context, sqlite3, db, query string) (time.Duration, int64, error) {
	cmd := exec.CommandContext(ctx, sqlite3, "-readonly", "-csv", "-header", db, query)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return 0, 0, err
	}
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return 0, 0, err
	}
	lines, err := countLines(out)
	if werr := cmd.Wait(); werr != nil {
		return 0, 0, fmt.Errorf("sqlite3: %w: %s", werr, stderr.String())
	}
	return time.Since(start), lines, err
}

func countLines(r io.Reader) (int64, error) {
	br := bufio.NewReaderSize(r, 256<<10)
	var n int64
	buf := make([]byte, 256<<10)
	for {
		k, err := br.Read(buf)
		n += int64(bytes.Count(buf[:k], []byte{'\n'}))
		if err == io.EOF {
			return n, nil
		}
		if err != nil {
			return n, err
		}
	}
}
