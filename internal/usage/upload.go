// Package usage is the domain of the Usage pages (AMIE): the processing
// status the upstream reports per resource and day, the records that
// failed processing and the admins' requests to clear them, and the usage
// files managers upload, with their records, the requests they are sent
// in and the state machines of both. It holds no SQL and no client:
// internal/cache stores these types, internal/outbox delivers the
// requests, internal/syncer fills the status and the failed records.
package usage

import (
	"strconv"
	"time"
)

// A usage upload is a checked file of records, stored whole with the
// requests it will be sent in (each an outbox item). Its state is derived
// from its requests' states (UploadState), and each record gets the
// outcome of its request (RecordsAfter):
//
//	queued -> sending -> delivered | failed | uncertain
//	uncertain -> delivered | failed         (an admin settled a request)
//	failed | uncertain -> queued | sending  (an admin sent a request again)

// States of a usage upload, derived from the states of its requests.
const (
	UploadQueued    = "queued"    // nothing sent yet
	UploadSending   = "sending"   // some requests are out, some delivered
	UploadDelivered = "delivered" // every request delivered
	UploadFailed    = "failed"    // every request settled, at least one refused or given up
	UploadUncertain = "uncertain" // every request settled, at least one waiting for an admin
)

// UploadStates lists the states of an upload.
var UploadStates = []string{UploadQueued, UploadSending, UploadDelivered, UploadFailed, UploadUncertain}

// Outcomes of an uploaded record.
const (
	RecordPending  = "pending"  // its request is not delivered yet
	RecordAccepted = "accepted" // the upstream validated and queued it
	RecordRefused  = "refused"  // the upstream refused it in validation (see its error)
	RecordSent     = "sent"     // its request was settled as delivered by an admin; no per-record answer
	RecordNotSent  = "not sent" // its request was refused as a whole or given up
)

// RecordOutcomes lists the outcomes of a record.
var RecordOutcomes = []string{RecordPending, RecordAccepted, RecordRefused, RecordSent, RecordNotSent}

// RecordOutcomeFailedProcessing filters records that were accepted but
// are listed among the failed records.
const RecordOutcomeFailedProcessing = "failed processing"

// Record is one validated record of an uploaded usage file. Fields a
// record type does not have stay empty.
type Record struct {
	// Seq is the record's 0-based position in the upload; Line its line in the file.
	Seq, Line                                         int
	LocalRecordID, Resource, LocalProjectID, Username string
	SubmitTime, StartTime, EndTime, CollectionTime    time.Time
	// Charge is an exact decimal literal.
	Charge                                  string
	AdjustmentType, Comment, LocalReference string
	ParentRecordID, JobName, Queue          string
	MediaType                               string
	// Ints holds the optional integer attributes by column name
	// (NodeCount, BytesStored, ...).
	Ints map[string]int64
}

// When returns the record's time as listed: StartTime, or CollectionTime
// for storage records.
func (r *Record) When() time.Time {
	if r.StartTime.IsZero() {
		return r.CollectionTime
	}
	return r.StartTime
}

// RecordKey is how AMIE keys a record: its resource and LocalRecordID
// (within the upload's usage type).
type RecordKey struct {
	Resource, LocalRecordID string
}

// Chunk is one planned request of an upload: the records with Seq in
// [First, First+Count), encoded as Body.
type Chunk struct {
	Index, First, Count int
	Body                []byte
}

// Writer adds an upload's planned requests with their records while the
// upload is being stored. The cache's writer works in the upload's
// transaction, so an upload is stored with all its requests or not at all.
type Writer interface {
	// Add stores one request and its records (recs[i].Seq must run from
	// chunk.First on, with no gap since the previous request) and queues
	// the request in the outbox.
	Add(chunk Chunk, recs []Record) error
}

// Upload is an uploaded usage file.
type Upload struct {
	ID          int64
	UsageType   string // Compute, Storage, Adjustment
	Filename    string
	Records     int
	TotalCharge string
	Projects    []string // LocalProjectIDs
	// Chunks is the number of requests, ChunksDelivered those delivered.
	Chunks, ChunksDelivered  int
	Accepted, Refused        int
	NotSent                  int
	State                    string
	CreatedBy, CreatedByName string
	Created, Updated         time.Time
}

// UploadRef is an upload's outbox ref and audit subject.
func UploadRef(id int64) string { return "usage_upload:" + strconv.FormatInt(id, 10) }

// ChunkPayload is the outbox payload of one request of an upload.
type ChunkPayload struct {
	Upload    int64  `json:"upload"`
	Chunk     int    `json:"chunk"`
	First     int    `json:"first"`
	Count     int    `json:"count"`
	UsageType string `json:"usage_type"`
}

// ChunkResult is what the deliverer keeps of the upstream's answer.
type ChunkResult struct {
	Message string          `json:"message"`
	Refused []RefusedRecord `json:"refused,omitempty"`
}

// RefusedRecord is a record the upstream refused in validation.
type RefusedRecord struct {
	Resource      string `json:"resource"`
	LocalRecordID string `json:"local_record_id"`
	Error         string `json:"error"`
}

// ChunkData is a stored request, as the deliverer sends it.
type ChunkData struct {
	UsageType    string
	Chunk        int
	Chunks       int
	First, Count int
	Body         []byte
}

// UploadSorts are the sort keys of the uploads table.
var UploadSorts = []string{"by", "file", "id", "records", "state", "type"}

// UploadFilter selects uploads: those of one person, or everyone's.
type UploadFilter struct {
	// CreatedBy is the uploader's subject; "" means every upload (admins).
	CreatedBy     string
	State         string
	Sort          string // one of UploadSorts ("" or another: newest first)
	Desc          bool
	Limit, Offset int
}

// UploadRecord is an uploaded record with its outcome.
type UploadRecord struct {
	Seq, Line, Chunk                                  int
	LocalRecordID, Resource, LocalProjectID, Username string
	Start, End                                        time.Time
	Charge                                            string
	Outcome, Error                                    string
	// Processing is the upstream's error when the record later failed
	// processing and is listed among the failed records ("" otherwise).
	Processing string
}

// UploadRecordSorts are the sort keys of an upload's records table.
var UploadRecordSorts = []string{"charge", "line", "outcome", "project", "record", "resource", "start", "user"}

// UploadRecordFilter selects an upload's records.
type UploadRecordFilter struct {
	Upload        int64
	UsageType     string
	Outcome       string // a Record* outcome or RecordOutcomeFailedProcessing; "" means all
	Sort          string // one of UploadRecordSorts ("" or another: by line)
	Desc          bool
	Limit, Offset int
}
