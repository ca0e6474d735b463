package config

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode"

	"github.com/accounting-portal/portal/internal/portal"
)

var (
	uuidRE       = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)
	projectKeyRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)
)

// LoadCatalog reads and checks the projects file. An empty path gives an
// empty catalogue.
func LoadCatalog(path string) (*portal.Catalog, error) {
	if path == "" {
		return &portal.Catalog{}, nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("projects file: %w", err)
	}
	return ParseCatalog(b, path)
}

// LoadedCatalog is a catalogue that passed its checks, with where and when
// it came from.
type LoadedCatalog struct {
	Catalog *portal.Catalog
	// LoadedAt is when the portal loaded it.
	LoadedAt time.Time
	// ModTime and SHA256 (hex) identify the file's version.
	ModTime time.Time
	SHA256  string
}

// CatalogStatus is what the data-sources page shows about the projects file.
type CatalogStatus struct {
	Path string
	// Current is the catalogue in use (never nil).
	Current *LoadedCatalog
	// Error is why the file's latest version was refused (empty when the
	// catalogue in use is the file's latest version); ErrorAt is when.
	Error   string
	ErrorAt time.Time
}

// CatalogFile is the projects file of a running portal: the catalogue in
// use, swapped whole (readers never see half of one), and the last
// refusal. It is polled by reading and hashing the file, which is small:
// that sees edits in place, replacement by rename (how editors and
// configuration tools write) and symlink swaps alike, with no watcher to
// re-arm and no dependency.
type CatalogFile struct {
	path    string
	current atomic.Pointer[LoadedCatalog]
	loading sync.Mutex // held through a reload: a signal and the poll may ask at once
	mu      sync.Mutex // guards the fields below
	seen    string     // what the file held at the last look: its hash, or why it could not be read
	err     string
	errAt   time.Time
}

// OpenCatalogFile loads the projects file at path (an empty path is an
// empty catalogue that never changes). A file that fails its checks is an
// error: the portal does not start on one.
func OpenCatalogFile(path string, now time.Time) (*CatalogFile, error) {
	f := &CatalogFile{path: path}
	lc, err := f.Read(now)
	if err != nil {
		return nil, err
	}
	f.current.Store(lc)
	return f, nil
}

// Path is the projects file's path ("" when there is none).
func (f *CatalogFile) Path() string { return f.path }

// Current is the catalogue in use.
func (f *CatalogFile) Current() *LoadedCatalog { return f.current.Load() }

// Read reads and checks the file as it is now, without putting it in use.
func (f *CatalogFile) Read(now time.Time) (*LoadedCatalog, error) {
	if f.path == "" {
		return &LoadedCatalog{Catalog: &portal.Catalog{}, LoadedAt: now}, nil
	}
	b, mod, key, err := f.look()
	f.mu.Lock()
	f.seen = key
	f.mu.Unlock()
	if err != nil {
		return nil, err
	}
	c, err := ParseCatalog(b, f.path)
	if err != nil {
		return nil, err
	}
	return &LoadedCatalog{Catalog: c, LoadedAt: now, ModTime: mod, SHA256: key}, nil
}

// look reads the file and returns its bytes, modification time and hash,
// or a key naming the error.
func (f *CatalogFile) look() ([]byte, time.Time, string, error) {
	st, err := os.Stat(f.path)
	if err != nil {
		return nil, time.Time{}, "error: " + err.Error(), fmt.Errorf("projects file: %w", err)
	}
	b, err := os.ReadFile(f.path)
	if err != nil {
		return nil, time.Time{}, "error: " + err.Error(), fmt.Errorf("projects file: %w", err)
	}
	sum := sha256.Sum256(b)
	return b, st.ModTime().UTC(), hex.EncodeToString(sum[:]), nil
}

// Changed reports whether the file differs from what the last Read saw.
func (f *CatalogFile) Changed() bool {
	if f.path == "" {
		return false
	}
	_, _, key, _ := f.look()
	f.mu.Lock()
	defer f.mu.Unlock()
	return key != f.seen
}

// Reload reads and checks the file whole and, if it differs from the
// catalogue in use, hands it to apply (which stores it) and then puts it in
// use. A file that fails its checks, or that apply fails on, is refused:
// the catalogue in use stays, and Status reports why. changed says whether
// a new catalogue went into use.
func (f *CatalogFile) Reload(now time.Time, apply func(*LoadedCatalog) error) (lc *LoadedCatalog, changed bool, err error) {
	f.loading.Lock()
	defer f.loading.Unlock()
	lc, err = f.Read(now)
	if err == nil && lc.SHA256 == f.Current().SHA256 {
		lc, err = f.Current(), nil
	} else if err == nil {
		if err = apply(lc); err == nil {
			changed = true
			f.current.Store(lc)
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if err != nil {
		f.err, f.errAt = err.Error(), now
		return f.current.Load(), false, err
	}
	f.err, f.errAt = "", time.Time{}
	return lc, changed, nil
}

// Status returns the catalogue in use and the last refusal.
func (f *CatalogFile) Status() CatalogStatus {
	f.mu.Lock()
	defer f.mu.Unlock()
	return CatalogStatus{Path: f.path, Current: f.current.Load(), Error: f.err, ErrorAt: f.errAt}
}

// ParseCatalog decodes a catalogue and lists every problem in it at once.
func ParseCatalog(b []byte, name string) (*portal.Catalog, error) {
	var c portal.Catalog
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		return nil, fmt.Errorf("projects file %s: %s", name, describeJSONError(b, err))
	}
	var p []string
	labs := map[string]bool{}
	for i, l := range c.VirtualLabs {
		at := fmt.Sprintf("virtual_labs[%d]", i)
		if !uuidRE.MatchString(l.ID) {
			p = append(p, fmt.Sprintf("%s.id: %q is not a UUID", at, l.ID))
		}
		if l.Name == "" {
			p = append(p, at+".name is empty")
		}
		if labs[l.ID] {
			p = append(p, fmt.Sprintf("%s.id: %s is listed twice", at, l.ID))
		}
		labs[l.ID] = true
	}
	keys := map[string]bool{}
	ids := map[string]string{}
	for i, pr := range c.Projects {
		at := fmt.Sprintf("projects[%d]", i)
		if !projectKeyRE.MatchString(pr.Key) {
			p = append(p, fmt.Sprintf("%s.key: %q must be 1-64 letters, digits, '.', '_' or '-'", at, pr.Key))
		}
		if keys[pr.Key] {
			p = append(p, fmt.Sprintf("%s.key: %s is listed twice", at, pr.Key))
		}
		keys[pr.Key] = true
		if pr.Name == "" {
			p = append(p, at+".name is empty")
		}
		if pr.OBIID != "" || pr.OBIVlabID != "" {
			if !uuidRE.MatchString(pr.OBIID) {
				p = append(p, fmt.Sprintf("%s.obi_id: %q is not a UUID", at, pr.OBIID))
			}
			if !labs[pr.OBIVlabID] {
				p = append(p, fmt.Sprintf("%s.obi_vlab_id: %q is not one of virtual_labs", at, pr.OBIVlabID))
			}
		}
		if t := pr.VergeOSTenant; t != "" && (len(t) > 120 || strings.TrimSpace(t) != t || strings.ContainsFunc(t, unicode.IsControl)) {
			p = append(p, fmt.Sprintf("%s.vergeos_tenant: %q must be a VergeOS tenant name: 1-120 characters, no control characters or surrounding spaces", at, t))
		}
		for _, u := range []string{portal.UpstreamArgo, portal.UpstreamOBI, portal.UpstreamAMIE, portal.UpstreamVergeOS} {
			id := pr.UpstreamID(u)
			if id == "" {
				continue
			}
			if other, dup := ids[u+"/"+id]; dup {
				p = append(p, fmt.Sprintf("%s: %s id %s is also used by project %s", at, u, id, other))
			}
			ids[u+"/"+id] = pr.Key
		}
	}
	if len(p) > 0 {
		return nil, fmt.Errorf("projects file %s: %w", name, &Problems{List: p})
	}
	return &c, nil
}

// describeJSONError says where in the file a JSON error is.
func describeJSONError(b []byte, err error) string {
	var off int64
	switch e := err.(type) {
	case *json.SyntaxError:
		off = e.Offset
	case *json.UnmarshalTypeError:
		return fmt.Sprintf("line %d: %s must be %s, not %s", lineOf(b, e.Offset), e.Field, e.Type, e.Value)
	default:
		return err.Error()
	}
	return fmt.Sprintf("line %d: %v", lineOf(b, off), err)
}

func lineOf(b []byte, off int64) int {
	off = min(max(off, 0), int64(len(b)))
	return bytes.Count(b[:off], []byte("\n")) + 1
}
