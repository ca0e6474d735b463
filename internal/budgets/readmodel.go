package budgets

import (
	"time"

	"github.com/accounting-portal/portal/internal/decimal"
	"github.com/accounting-portal/portal/internal/portal"
)

// The read model: what the OBI sync stores (readings of balances,
// discounts, finished jobs) and what the budgets pages read back, limited
// to the user's scope by the cache.

// Target is a catalogued virtual lab with its catalogued projects: what
// the OBI sync reads.
type Target struct {
	VlabID   string
	Name     string
	Projects []TargetProject
}

// TargetProject is a catalogued OBI project.
type TargetProject struct {
	ProjID string
	Key    string
}

// LabReading is one reading of a virtual lab's balance and of its
// catalogued projects' balances.
type LabReading struct {
	VlabID   string
	Balance  decimal.Decimal
	Projects []ProjectReading
}

// ProjectReading is one reading of a project's balance (excluding
// reserved money) and reservation.
type ProjectReading struct {
	ProjID      string
	Balance     decimal.Decimal
	Reservation decimal.Decimal
}

// Discount is a virtual lab's discount.
type Discount struct {
	ID        int64
	VlabID    string
	Discount  decimal.Decimal // a fraction: costs are multiplied by (1 - Discount)
	ValidFrom time.Time
	ValidTo   time.Time // zero: open-ended
	Current   bool      // the one the service says is in force now
}

// Job statuses. Reports list only finished, fully charged jobs.
const (
	JobFinished = "finished"
	JobExpired  = "expired" // a longrun job the service cancelled after it stopped reporting
)

// Job is one finished job of a project's report.
type Job struct {
	ID, ProjID, VlabID string
	Type, Subtype      string
	Status             string
	Name, UserID       string
	ReservedAt         time.Time // zero for storage
	StartedAt          time.Time
	FinishedAt         time.Time
	CancelledAt        time.Time
	Amount             decimal.Decimal // credits the job took from the project
	// ReservedAmount is what its reservation held; HasReservation is false
	// for storage jobs, which reserve nothing.
	ReservedAmount             decimal.Decimal
	HasReservation             bool
	Count, ReservedCount       int64
	Duration, ReservedDuration int64 // seconds
	Size                       int64 // storage bytes
}

// JobCursor says how far a project's report has been read.
type JobCursor struct {
	Known bool
	// Watermark is the newest job start seen by the last walk that completed.
	Watermark time.Time
	// FullAt is when the last walk of the whole report completed.
	FullAt time.Time
}

// Lab is a virtual lab on the budgets overview.
type Lab struct {
	VlabID, Name string
	// Balance is the lab's own money (not assigned to projects);
	// HasBalance is false until a sync has read it.
	Balance    decimal.Decimal
	HasBalance bool
	// Discount is the discount in force, or nil.
	Discount *Discount
	Projects []Project
	// Sums, when set, are the sums of Projects' balances and
	// reservations, kept by whoever read them (the overview keeps them
	// per OBI sync); nil: ProjectSums adds them up.
	Sums *LabSums
}

// LabSums are what a lab's projects hold between them.
type LabSums struct{ Assigned, Reserved decimal.Decimal }

// ProjectSums returns the sums of the lab's projects' balances and
// reservations.
func (l Lab) ProjectSums() LabSums {
	if l.Sums != nil {
		return *l.Sums
	}
	return SumProjects(l.Projects)
}

// SumProjects adds up the projects' balances and reservations, exactly.
func SumProjects(ps []Project) LabSums {
	s := LabSums{Assigned: decimal.Zero, Reserved: decimal.Zero}
	for _, p := range ps {
		s.Assigned, s.Reserved = s.Assigned.Add(p.Balance), s.Reserved.Add(p.Reservation)
	}
	return s
}

// Project is a project's budget: balances and recent spend.
type Project struct {
	Key, Name      string
	ProjID, VlabID string
	LabName        string
	// Balance excludes the money reserved for running jobs (Reservation).
	Balance, Reservation decimal.Decimal
	HasBalance           bool
	// Spend7 and Spend30 are the costs of jobs that ended in the 7 and 30
	// full UTC days before today (SpendWindows).
	Spend7, Spend30 decimal.Decimal
	// Projection, when set, is NewProjection of the balance and spend
	// above, kept by whoever read them (the overview keeps it per OBI
	// sync); nil: Forecast computes it.
	Projection *Projection
}

// Forecast returns the project's burn rate and projected run-out.
func (p Project) Forecast(now time.Time) Forecast {
	if p.Projection != nil {
		return p.Projection.At(now)
	}
	return NewProjection(p.Balance, p.Spend7, p.Spend30).At(now)
}

// ProjectDetail is one project's budget page.
type ProjectDetail struct {
	Project
	LabBalance    decimal.Decimal
	LabHasBalance bool
	// Discounts are the lab's, newest first; Current marks the one in force.
	Discounts []Discount
	// FirstSnapshot and LastSnapshot bound the recorded balance history (zero: none).
	FirstSnapshot, LastSnapshot time.Time
}

// BalancePoint is an account's balance at a time.
type BalancePoint struct {
	At                   time.Time
	Balance, Reservation decimal.Decimal
}

// SnapshotFilter selects an account's snapshots in [From, To).
type SnapshotFilter struct {
	From, To      time.Time
	Desc          bool
	Limit, Offset int
}

// DailySpend is one project's spend on one UTC day for one job type.
type DailySpend struct {
	Day    time.Time
	Type   string
	Amount decimal.Decimal
	Jobs   int64
}

// JobSorts are the sort keys of the jobs table.
var JobSorts = []string{"started", "finished", "type", "subtype", "status", "cost", "reserved", "duration"}

// JobFilter selects a project's jobs that ended in [From, To).
type JobFilter struct {
	From, To time.Time
	Type     string // "" for every type
	// Sort is one of JobSorts ("" or another: finished).
	Sort          string
	Desc          bool
	Limit, Offset int
}

// RequestSorts are the sort keys of request tables.
var RequestSorts = []string{"id", "created", "updated", "amount", "kind", "state", "requester"}

// RequestFilter selects requests for a list page.
type RequestFilter struct {
	// Scope limits the list to the requests about the scope's projects:
	// an assignment to, a reversal from or a move involving one of them,
	// and a top-up of a virtual lab that holds one. The zero Scope
	// selects nothing; admins pass Scope{All: true}.
	Scope portal.Scope
	// RequestedBy further limits the list to one person's requests ("":
	// anyone's).
	RequestedBy string
	States      []string
	// Sort is one of RequestSorts; "" is the inbox order: pending first
	// (oldest first), then those needing reconciliation, then the rest
	// newest first.
	Sort          string
	Desc          bool
	Limit, Offset int
}
