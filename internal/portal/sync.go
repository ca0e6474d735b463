package portal

import "time"

// SyncRun is one run of an upstream's sync.
type SyncRun struct {
	ID       int64
	Upstream string
	Started  time.Time
	Finished time.Time // zero while running
	Rows     int64
	Error    string
}

// SourceStatus is what the pages say about an upstream's data.
type SourceStatus struct {
	Upstream    string
	LastSuccess *SyncRun // the newest run that finished without error
	LastRun     *SyncRun // the newest run, finished or not
	LastError   *SyncRun // the newest run that failed
}

// DataAsOf is the finish time of the last successful sync (zero if none).
func (s SourceStatus) DataAsOf() time.Time {
	if s.LastSuccess == nil {
		return time.Time{}
	}
	return s.LastSuccess.Finished
}

// Failing reports whether the newest finished run failed.
func (s SourceStatus) Failing() bool {
	return s.LastError != nil && (s.LastSuccess == nil || s.LastError.ID > s.LastSuccess.ID)
}

// RowCount is the number of cached rows of one kind.
type RowCount struct {
	Label string
	Rows  int64
}
