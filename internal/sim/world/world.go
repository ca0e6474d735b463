// Package world is the shared, deterministic cast of the upstream
// simulators: the virtual labs, projects, providers, resources and people
// that every simulator seeds its data from, so that a project seen in the
// ARGO simulator is the same project in the OBI, AMIE and VergeOS ones and
// the demo's configuration can name it once. The same seed and scale always
// give the same world.
package world

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
)

// World is the cast of the simulators for one seed and scale.
type World struct {
	Seed  int64
	Scale float64

	VirtualLabs []VirtualLab
	Projects    []Project
	Providers   []Provider
	Resources   []Resource
	Usernames   []string
}

// VirtualLab is an OBI virtual lab: a budget holder with projects.
type VirtualLab struct {
	ID   string // UUID, as OBI uses
	Name string
}

// Project is one research project, known to every upstream under its own id.
type Project struct {
	Key     string // the portal's project key, used in role claims ("neuro-sim")
	Name    string // display title
	Acronym string // short name (ARGO "acronym")
	ArgoID  string // ARGO project id (free text, e.g. OpenAIRE grant codes)
	OBIID   string // OBI project UUID
	VlabID  string // OBI virtual lab UUID the project belongs to
	AMIEID  string // AMIE LocalProjectID ("TG-...")
}

// Provider is an ARGO provider (a site offering installations).
type Provider struct {
	ID   string // slug
	Name string
}

// Resource is an AMIE resource (a machine that reports usage).
type Resource struct {
	Name string // AMIE resource name
}

var demoProjects = []struct{ key, name, acronym string }{
	{"neuro-sim", "Neural Circuit Simulation", "NEUROSIM"},
	{"brain-atlas", "Brain Atlas Imaging", "BRAINATLAS"},
	{"climate-ml", "Climate Model Learning", "CLIMATEML"},
	{"genomics", "Population Genomics", "POPGEN"},
	{"materials", "Materials Discovery", "MATDISC"},
}

var demoLabs = []string{"Cortex Lab", "Earth Systems Lab"}

var demoProviders = []Provider{
	{"north-dc", "North Data Centre"},
	{"lakeside", "Lakeside Computing"},
	{"summit-cloud", "Summit Research Cloud"},
}

var demoResources = []string{"lynx.north-dc.example.org", "orca.lakeside.example.org", "heron.summit.example.org"}

var demoUsers = []string{"asmith", "bjones", "cgarcia", "dkim", "enovak", "fmuller"}

// New returns the world for seed and scale. Scale 1 (or less) is the demo
// cast: two virtual labs with five projects, three providers and three
// resources. Larger scales add projects, labs, providers, resources and
// people in proportion, with generated names.
func New(seed int64, scale float64) *World {
	if scale <= 0 {
		scale = 1
	}
	w := &World{Seed: seed, Scale: scale}
	n := func(base int) int { return max(base, int(math.Round(float64(base)*scale))) }

	for i := range n(len(demoLabs)) {
		name := fmt.Sprintf("Lab %03d", i+1)
		if i < len(demoLabs) {
			name = demoLabs[i]
		}
		w.VirtualLabs = append(w.VirtualLabs, VirtualLab{ID: w.UUID("vlab", i), Name: name})
	}
	for i := range n(len(demoProjects)) {
		key, name, acr := fmt.Sprintf("project-%04d", i+1), fmt.Sprintf("Project %04d", i+1), fmt.Sprintf("PRJ%04d", i+1)
		if i < len(demoProjects) {
			key, name, acr = demoProjects[i].key, demoProjects[i].name, demoProjects[i].acronym
		}
		// The first two demo projects share the first lab; the rest share the second.
		lab := 0
		if i >= 2 {
			lab = 1 + (i-2)%(len(w.VirtualLabs)-1)
		}
		w.Projects = append(w.Projects, Project{
			Key: key, Name: name, Acronym: acr,
			ArgoID: strings.ToUpper(key),
			OBIID:  w.UUID("project", i),
			VlabID: w.VirtualLabs[lab].ID,
			AMIEID: fmt.Sprintf("TG-%s%06d", strings.ToUpper(acr[:3]), 240000+i+1),
		})
	}
	for i := range n(len(demoProviders)) {
		p := Provider{ID: fmt.Sprintf("provider-%03d", i+1), Name: fmt.Sprintf("Provider %03d", i+1)}
		if i < len(demoProviders) {
			p = demoProviders[i]
		}
		w.Providers = append(w.Providers, p)
	}
	for i := range n(len(demoResources)) {
		r := fmt.Sprintf("res%03d.example.org", i+1)
		if i < len(demoResources) {
			r = demoResources[i]
		}
		w.Resources = append(w.Resources, Resource{Name: r})
	}
	for i := range n(len(demoUsers)) {
		u := fmt.Sprintf("user%04d", i+1)
		if i < len(demoUsers) {
			u = demoUsers[i]
		}
		w.Usernames = append(w.Usernames, u)
	}
	return w
}

// ProjectByKey returns the project with the portal key, or false.
func (w *World) ProjectByKey(key string) (Project, bool) {
	for _, p := range w.Projects {
		if p.Key == key {
			return p, true
		}
	}
	return Project{}, false
}

// ProjectsOfLab returns the projects of the virtual lab with id.
func (w *World) ProjectsOfLab(id string) []Project {
	var out []Project
	for _, p := range w.Projects {
		if p.VlabID == id {
			out = append(out, p)
		}
	}
	return out
}

// Rand returns a random source seeded from the world's seed and a label,
// so each simulator (and each part of one) draws its own stream and adding
// a draw in one place does not shift the data of another.
func (w *World) Rand(label string) *rand.Rand {
	h := sha256.Sum256(fmt.Appendf(nil, "%d/%s", w.Seed, label))
	return rand.New(rand.NewPCG(binary.LittleEndian.Uint64(h[:8]), binary.LittleEndian.Uint64(h[8:16])))
}

func (w *World) hash(kind string, parts ...any) [32]byte {
	return sha256.Sum256(fmt.Appendf(nil, "%d/%s/%v", w.Seed, kind, parts))
}

// UUID returns a deterministic version-4-shaped UUID for a label and parts.
func (w *World) UUID(kind string, parts ...any) string {
	h := w.hash(kind, parts...)
	h[6] = (h[6] & 0x0f) | 0x40
	h[8] = (h[8] & 0x3f) | 0x80
	s := hex.EncodeToString(h[:16])
	return s[:8] + "-" + s[8:12] + "-" + s[12:16] + "-" + s[16:20] + "-" + s[20:32]
}

// HexID returns a deterministic 24-hex-digit id (the shape of a MongoDB ObjectId).
func (w *World) HexID(kind string, parts ...any) string {
	h := w.hash(kind, parts...)
	return hex.EncodeToString(h[:12])
}
