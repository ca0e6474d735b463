// Package metrics is the domain of the Metrics pages (ARGO Accounting):
// the projects, providers, installations, metric definitions and metrics
// the ARGO sync reads, the totals and lists the pages show of them, and
// metric pushes (a manager adds a metric to an installation through the
// outbox) with their state machine. It holds no SQL and no client:
// internal/cache stores these types, internal/outbox delivers a push's
// payload, internal/syncer fills the read model.
package metrics

import "time"

// Project is an ARGO project as cached.
type Project struct {
	ID, Acronym, Title         string
	StartDate, EndDate, CallID string
}

// Provider is an ARGO provider as cached.
type Provider struct {
	ID, Name, Website, Abbreviation, Logo, ExternalID string
}

// Definition says what a metric measures and in which unit.
type Definition struct {
	ID, Name, Description string
	UnitType              string // a unit symbol: "TB", "#", "CPU Time"
	MetricType            string // aggregated, count, summarised, averaged (or another)
}

// Installation is an ARGO installation as cached.
type Installation struct {
	ID, ProjectID, ProviderID                string
	Infrastructure, Name, Resource, External string
	UnitOfAccess                             string // a metric definition id, "" for none
}

// Metric is one accounted value of an installation over a period.
type Metric struct {
	ID, InstallationID, DefinitionID string
	// ProjectID and ProviderID are filled from the cached installation on
	// write; readers get them back.
	ProjectID, ProviderID string
	Start, End            time.Time
	Value                 float64
	GroupID, UserID       string
}

// Entities is one complete read of ARGO's entities.
type Entities struct {
	Projects      []Project
	Providers     []Provider
	Definitions   []Definition
	Installations []Installation
}

// SyncState is what a sync run needs to know before it reads.
type SyncState struct {
	// Generation numbers this run; rows it reads are marked with it.
	Generation int64
	// LastFull is when a run last re-read every metric successfully.
	LastFull time.Time
	// Newest is, per ARGO project, the start of the newest metric a
	// successful sync read: the anchor of the next incremental window.
	Newest map[string]time.Time
}

// Sweep says what a successful sync run read completely.
type Sweep struct {
	Generation int64
	// Windows holds, per ARGO project read, the start of the window its
	// metrics were read from; the zero time means all of them.
	Windows map[string]time.Time
	// Newest holds, per ARGO project, the start of the newest metric read.
	Newest map[string]time.Time
	// Full is set when every metric of every project was read.
	Full bool
	// Refreshed holds the projects whose totals the run already brought
	// up to date from their window's start as it stored their metrics;
	// the end of the run refreshes the others (and those it removed
	// metrics from).
	Refreshed map[string]bool
	At        time.Time
}
