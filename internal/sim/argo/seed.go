package argo

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/accounting-portal/portal/internal/sim/world"
)

const day = 24 * time.Hour

// defaultDays is the length of each generated series: a year of daily metrics.
const defaultDays = 365

// installationsPerScale is how many installations scale 1 seeds; the count
// grows in proportion to the scale (800 at scale 100, about 1.17 million
// generated metrics).
const installationsPerScale = 8

// dataset is everything the simulator serves. Generated metrics are not
// stored: they are computed from (installation, series, day) on demand.
type dataset struct {
	w         *world.World
	noiseSeed uint64
	// start0 is the start of the first generated day; the last generated day
	// ends at midnight UTC of the day the simulator was created.
	start0 time.Time
	days   int

	projects     []*project
	projectByID  map[string]int
	providers    []*provider
	providerByID map[string]int
	defs         []*metricDef
	defByID      map[string]int
	insts        []*installation
	instByID     map[string]int

	posted     map[string]*storedMetric
	postedKeys map[postKey]string
	postSeq    int
	creatorID  string
}

// newDataset seeds the dataset from the world for a clock reading.
func newDataset(w *world.World, now time.Time, days int) *dataset {
	if days <= 0 {
		days = defaultDays
	}
	end := now.UTC().Truncate(day)
	d := &dataset{
		w: w, noiseSeed: w.Rand("argo/noise").Uint64(),
		start0: end.Add(-time.Duration(days) * day), days: days,
		projectByID: map[string]int{}, providerByID: map[string]int{},
		defByID: map[string]int{}, instByID: map[string]int{},
		posted: map[string]*storedMetric{}, postedKeys: map[postKey]string{},
		creatorID: w.UUID("argo/creator", 0) + "@example.org",
	}
	d.seedDefinitions()
	d.seedProjects()
	d.seedProviders()
	d.seedInstallations()
	return d
}

func (d *dataset) seedDefinitions() {
	for i := range defTemplates {
		t := &defTemplates[i]
		md := MetricDefinition{
			ID: d.w.HexID("argo/metric-definition", t.name), Name: t.name, Description: t.description,
			UnitType: t.unit, MetricType: t.metricType, CreatorID: d.creatorID,
		}
		d.addDefinition(md, t)
	}
}

func (d *dataset) seedProjects() {
	for i, wp := range d.w.Projects {
		start := time.Date(2023+i%3, time.Month(1+(i*5)%12), 1, 0, 0, 0, 0, time.UTC)
		d.addProject(Project{
			ID: wp.ArgoID, Key: wp.Key, Acronym: wp.Acronym, Title: wp.Name,
			StartDate: start.Format(time.DateOnly), EndDate: start.AddDate(3, 0, -1).Format(time.DateOnly),
			CallIdentifier: callIdentifiers[i%len(callIdentifiers)],
		})
	}
}

func (d *dataset) seedProviders() {
	for _, wp := range d.w.Providers {
		site := "https://www." + wp.ID + ".example.org"
		d.addProvider(Provider{
			ID: wp.ID, Name: wp.Name, Website: site, Abbreviation: strings.ToUpper(wp.ID),
			Logo: site + "/logo.png", ExternalID: "eosc." + wp.ID, CreatorID: d.creatorID,
		})
	}
}

// seedInstallations spreads the installations over project x provider so
// that every project and most providers have some, and cycles the kinds.
func (d *dataset) seedInstallations() {
	w := d.w
	n := max(installationsPerScale, int(math.Round(installationsPerScale*w.Scale)))
	np, nv := len(d.projects), len(d.providers)
	rnd := w.Rand("argo/installations")
	perName := map[string]int{}
	for i := range n {
		p, v := i%np, (i+2*(i/np))%nv
		kind := installationKinds[i%len(installationKinds)]
		prov := d.providers[v].ID
		resource := prov + "." + kind.resource
		if kind.resource == "" {
			resource = w.Resources[v%len(w.Resources)].Name
		}
		base := prov + "-" + kind.slug
		perName[base]++
		in := Installation{
			ID: w.HexID("argo/installation", i), ProjectID: d.projects[p].ID, ProviderID: prov,
			Infrastructure: kind.infrastructure, Name: fmt.Sprintf("%s-%02d", base, perName[base]),
			Resource: resource, ExternalID: fmt.Sprintf("eosc.%s.%s-%02d", prov, kind.slug, perName[base]),
		}
		if kind.unitOfAccess != "" {
			in.UnitOfAccess = d.defs[d.defByName(kind.unitOfAccess)].ID
		}
		for _, name := range kind.series {
			in.MetricDefinitionIDs = append(in.MetricDefinitionIDs, d.defs[d.defByName(name)].ID)
		}
		idx, err := d.addInstallation(in)
		if err != nil {
			panic(fmt.Sprintf("argo sim: seeding installation %d: %v", i, err)) // the seed data is ours: a bug
		}
		// Installations differ in size; draw each series' size and phase once.
		for s := range d.insts[idx].series {
			d.insts[idx].series[s].scale = 0.4 + 2.1*rnd.Float64()*rnd.Float64()
			d.insts[idx].series[s].phase = 0.3 * (rnd.Float64() - 0.5)
		}
	}
	// A provider may be associated with a project without installations
	// there (the hierarchy then shows "installations": []): give the first
	// project every provider.
	for v := range d.providers {
		d.associate(0, v)
	}
}

func (d *dataset) defByName(name string) int {
	for i, md := range d.defs {
		if md.Name == name {
			return i
		}
	}
	panic("argo sim: no metric definition " + name) // the catalogue is ours: a bug
}

func (d *dataset) addDefinition(md MetricDefinition, t *defTemplate) int {
	if t == nil {
		t = &genericTemplate
	}
	d.defs = append(d.defs, &metricDef{MetricDefinition: md, tmpl: t})
	d.defByID[md.ID] = len(d.defs) - 1
	return len(d.defs) - 1
}

func (d *dataset) addProject(p Project) int {
	d.projects = append(d.projects, &project{Project: p})
	d.projectByID[p.ID] = len(d.projects) - 1
	return len(d.projects) - 1
}

func (d *dataset) addProvider(p Provider) int {
	d.providers = append(d.providers, &provider{Provider: p})
	d.providerByID[p.ID] = len(d.providers) - 1
	return len(d.providers) - 1
}

func (d *dataset) associate(p, v int) {
	for _, x := range d.projects[p].providers {
		if x == v {
			return
		}
	}
	d.projects[p].providers = append(d.projects[p].providers, v)
}

// addInstallation stores in, checking that its project, provider and
// definitions exist; each definition becomes a series of scale 1.
func (d *dataset) addInstallation(in Installation) (int, error) {
	if _, dup := d.instByID[in.ID]; dup || in.ID == "" {
		return 0, fmt.Errorf("argo sim: installation id %q is empty or taken", in.ID)
	}
	p, ok := d.projectByID[in.ProjectID]
	if !ok {
		return 0, fmt.Errorf("argo sim: installation %s: no project %q", in.ID, in.ProjectID)
	}
	v, ok := d.providerByID[in.ProviderID]
	if !ok {
		return 0, fmt.Errorf("argo sim: installation %s: no provider %q", in.ID, in.ProviderID)
	}
	st := &installation{Installation: in, project: p, provider: v, unitOfAccess: -1}
	if in.UnitOfAccess != "" {
		if st.unitOfAccess, ok = d.defByID[in.UnitOfAccess]; !ok {
			return 0, fmt.Errorf("argo sim: installation %s: no metric definition %q", in.ID, in.UnitOfAccess)
		}
	}
	for n, id := range in.MetricDefinitionIDs {
		def, ok := d.defByID[id]
		if !ok {
			return 0, fmt.Errorf("argo sim: installation %s: no metric definition %q", in.ID, id)
		}
		if slices.Contains(in.MetricDefinitionIDs[:n], id) {
			return 0, fmt.Errorf("argo sim: installation %s: metric definition %q twice", in.ID, id)
		}
		st.series = append(st.series, series{def: def, scale: 1})
	}
	st.MetricDefinitionIDs = append([]string(nil), in.MetricDefinitionIDs...)
	d.insts = append(d.insts, st)
	idx := len(d.insts) - 1
	d.instByID[in.ID] = idx
	d.projects[p].insts = append(d.projects[p].insts, idx)
	d.associate(p, v)
	return idx, nil
}
