package usage

import (
	"strconv"
	"time"
)

// A clear request asks AMIE to clear failed records. Its state is the
// state of its outbox item (ClearAfter): queued, sending, verify, then
// delivered once a re-read of AMIE no longer lists the records, failed,
// dead, or uncertain until it is looked up.

// MaxClearIDs bounds the failed records one clear request may name.
const MaxClearIDs = 10000

// Clear is a request to clear failed records upstream.
type Clear struct {
	ID                       int64
	FailedIDs                []int64
	Summary                  string
	State                    string // the state of its outbox item
	Result                   string
	CreatedBy, CreatedByName string
	Created, Updated         time.Time
}

// ClearRef is a clear request's outbox ref and audit subject.
func ClearRef(id int64) string { return "usage_clear:" + strconv.FormatInt(id, 10) }

// ClearPayload is the outbox payload of a clear request.
type ClearPayload struct {
	Clear int64   `json:"clear"`
	IDs   []int64 `json:"failed_record_ids"`
}

// ClearResult is what the deliverer keeps of a confirmed clear.
type ClearResult struct {
	Cleared int `json:"cleared"`
	// StillListed is empty when the re-read confirmed the clear.
	StillListed []int64 `json:"still_listed,omitempty"`
}

// ClearSorts are the sort keys of the clear requests table.
var ClearSorts = []string{"by", "id", "records", "state", "updated"}

// ClearFilter pages and sorts clear requests.
type ClearFilter struct {
	Sort          string // one of ClearSorts; default newest first
	Desc          bool
	Limit, Offset int
}
