package outbox

import (
	"github.com/accounting-portal/portal/internal/clients/amie"
	"github.com/accounting-portal/portal/internal/decimal"
	"github.com/accounting-portal/portal/internal/portal"
	"github.com/accounting-portal/portal/internal/usage"
)

// AMIEPlanner splits validated usage records into the requests the AMIE
// client will send, with the client's own planning (each body under the
// client's limit, no record split across requests).
type AMIEPlanner struct {
	Client *amie.Client
}

// PlanUsage plans recs (records of one type: "Compute", "Storage" or
// "Adjustment"). Each chunk's First is the Seq of its first record and
// its Index counts from 0 within this call.
func (p AMIEPlanner) PlanUsage(usageType string, recs []usage.Record) ([]usage.Chunk, error) {
	if p.Client == nil {
		return nil, portal.Errorf(portal.EUNAVAILABLE, "ACCESS AMIE usage is not configured, so usage records cannot be sent.")
	}
	var chunks []amie.Chunk
	var err error
	switch amie.UsageType(usageType) {
	case amie.Compute:
		out := make([]amie.ComputeRecord, len(recs))
		for i := range recs {
			if out[i], err = amieComputeRecord(&recs[i]); err != nil {
				return nil, err
			}
		}
		chunks, err = p.Client.PlanCompute(out)
	case amie.Storage:
		out := make([]amie.StorageRecord, len(recs))
		for i := range recs {
			if out[i], err = amieStorageRecord(&recs[i]); err != nil {
				return nil, err
			}
		}
		chunks, err = p.Client.PlanStorage(out)
	case amie.Adjustment:
		out := make([]amie.AdjustmentRecord, len(recs))
		for i := range recs {
			if out[i], err = amieAdjustmentRecord(&recs[i]); err != nil {
				return nil, err
			}
		}
		chunks, err = p.Client.PlanAdjustments(out)
	default:
		return nil, portal.Errorf(portal.EINVALID, "%q is not a usage record type (Compute, Storage or Adjustment)", usageType)
	}
	if err != nil {
		return nil, err
	}
	res := make([]usage.Chunk, len(chunks))
	for i, ch := range chunks {
		res[i] = usage.Chunk{Index: i, First: recs[ch.First].Seq, Count: ch.Count, Body: ch.Body}
	}
	return res, nil
}

func amieCharge(r *usage.Record) (decimal.Decimal, error) {
	d, err := decimal.Parse(r.Charge)
	if err != nil {
		return d, portal.WrapError(portal.EINVALID, err, "line %d: Charge %q is not a number", r.Line, r.Charge)
	}
	return d, nil
}

func amieIntAttr(r *usage.Record, name string) *int64 {
	if v, ok := r.Ints[name]; ok {
		return amie.Int(v)
	}
	return nil
}

func amieComputeRecord(r *usage.Record) (amie.ComputeRecord, error) {
	c, err := amieCharge(r)
	return amie.ComputeRecord{Username: r.Username, LocalProjectID: r.LocalProjectID, LocalRecordID: r.LocalRecordID,
		Resource: r.Resource, SubmitTime: r.SubmitTime, StartTime: r.StartTime, EndTime: r.EndTime, Charge: c,
		Attributes: amie.ComputeAttributes{NodeCount: amieIntAttr(r, "NodeCount"), CpuCoreCount: amieIntAttr(r, "CpuCoreCount"),
			JobName: r.JobName, Memory: amieIntAttr(r, "Memory"), Queue: r.Queue},
		ParentRecordID: r.ParentRecordID, LocalReference: r.LocalReference}, err
}

func amieStorageRecord(r *usage.Record) (amie.StorageRecord, error) {
	c, err := amieCharge(r)
	return amie.StorageRecord{Charge: c, CollectionTime: r.CollectionTime, LocalProjectID: r.LocalProjectID,
		LocalRecordID: r.LocalRecordID, Resource: r.Resource, Username: r.Username, LocalReference: r.LocalReference,
		Attributes: amie.StorageAttributes{BytesRead: amieIntAttr(r, "BytesRead"), BytesStored: amieIntAttr(r, "BytesStored"),
			BytesWritten: amieIntAttr(r, "BytesWritten"), CollectionInterval: amieIntAttr(r, "CollectionInterval"),
			FileCount: amieIntAttr(r, "FileCount"), FilesRead: amieIntAttr(r, "FilesRead"), FilesWritten: amieIntAttr(r, "FilesWritten"),
			MediaType: r.MediaType, SystemCopies: amieIntAttr(r, "SystemCopies"), UserCopies: amieIntAttr(r, "UserCopies")}}, err
}

func amieAdjustmentRecord(r *usage.Record) (amie.AdjustmentRecord, error) {
	c, err := amieCharge(r)
	return amie.AdjustmentRecord{AdjustmentType: amie.AdjustmentType(r.AdjustmentType), Charge: c, StartTime: r.StartTime,
		LocalProjectID: r.LocalProjectID, LocalRecordID: r.LocalRecordID, Resource: r.Resource, Username: r.Username,
		Comment: r.Comment, LocalReference: r.LocalReference}, err
}
