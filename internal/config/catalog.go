package config

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"regexp"

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
		for _, u := range []string{portal.UpstreamArgo, portal.UpstreamOBI, portal.UpstreamAMIE} {
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
