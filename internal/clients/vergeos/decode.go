package vergeos

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
)

// wireRecord is the tolerant wire shape of a billing row: every number may
// be a number, a numeric string or null, and every field may be missing.
type wireRecord struct {
	Key                Key        `json:"$key"`
	Created            flexInt    `json:"created"`
	From               flexInt    `json:"from"`
	To                 flexInt    `json:"to"`
	Sent               flexInt    `json:"sent"`
	Description        flexString `json:"description"`
	UsedCores          flexInt    `json:"used_cores"`
	TotalCores         flexInt    `json:"total_cores"`
	OnlineCores        flexInt    `json:"online_cores"`
	TotalNodes         flexInt    `json:"total_nodes"`
	OnlineNodes        flexInt    `json:"online_nodes"`
	RunningMachines    flexInt    `json:"running_machines"`
	UsedRAM            flexInt    `json:"used_ram"`
	TotalRAM           flexInt    `json:"total_ram"`
	OnlineRAM          flexInt    `json:"online_ram"`
	PhysRAMUsed        flexInt    `json:"phys_ram_used"`
	PhysVRAMUsed       flexInt    `json:"phys_vram_used"`
	PhysTotalCPU       flexInt    `json:"phys_total_cpu"`
	Tier0Used          flexInt    `json:"tier_0_used"`
	Tier0Total         flexInt    `json:"tier_0_total"`
	Tier1Used          flexInt    `json:"tier_1_used"`
	Tier1Total         flexInt    `json:"tier_1_total"`
	Tier2Used          flexInt    `json:"tier_2_used"`
	Tier2Total         flexInt    `json:"tier_2_total"`
	Tier3Used          flexInt    `json:"tier_3_used"`
	Tier3Total         flexInt    `json:"tier_3_total"`
	Tier4Used          flexInt    `json:"tier_4_used"`
	Tier4Total         flexInt    `json:"tier_4_total"`
	Tier5Used          flexInt    `json:"tier_5_used"`
	Tier5Total         flexInt    `json:"tier_5_total"`
	GPUsTotal          flexInt    `json:"gpus_total"`
	GPUs               flexInt    `json:"gpus"`
	GPUsIdle           flexInt    `json:"gpus_idle"`
	VGPUsTotal         flexInt    `json:"vgpus_total"`
	VGPUs              flexInt    `json:"vgpus"`
	VGPUsIdle          flexInt    `json:"vgpus_idle"`
	WorkloadDatapoints flexInt    `json:"workload_datapoints"`
	StorageDatapoints  flexInt    `json:"storage_datapoints"`
}

// UnmarshalJSON decodes a billing row tolerantly (see wireRecord); a value
// that cannot be read is a *FieldError naming the field.
func (r *BillingRecord) UnmarshalJSON(b []byte) error {
	rec, err := decodeWire(b)
	if err != nil {
		return err
	}
	*r = rec
	return nil
}

// decodeWire decodes one row object.
func decodeWire(b []byte) (BillingRecord, error) {
	var w wireRecord
	if err := json.Unmarshal(b, &w); err != nil {
		return BillingRecord{}, locateFieldError(b, err)
	}
	return BillingRecord{
		Key: w.Key, Created: int64(w.Created), From: int64(w.From), To: int64(w.To), Sent: int64(w.Sent),
		Description: string(w.Description),
		UsedCores:   int64(w.UsedCores), TotalCores: int64(w.TotalCores), OnlineCores: int64(w.OnlineCores),
		TotalNodes: int64(w.TotalNodes), OnlineNodes: int64(w.OnlineNodes), RunningMachines: int64(w.RunningMachines),
		UsedRAM: int64(w.UsedRAM), TotalRAM: int64(w.TotalRAM), OnlineRAM: int64(w.OnlineRAM),
		PhysRAMUsed: int64(w.PhysRAMUsed), PhysVRAMUsed: int64(w.PhysVRAMUsed), PhysTotalCPU: int64(w.PhysTotalCPU),
		Tiers: [NumTiers]Tier{
			{int64(w.Tier0Used), int64(w.Tier0Total)}, {int64(w.Tier1Used), int64(w.Tier1Total)},
			{int64(w.Tier2Used), int64(w.Tier2Total)}, {int64(w.Tier3Used), int64(w.Tier3Total)},
			{int64(w.Tier4Used), int64(w.Tier4Total)}, {int64(w.Tier5Used), int64(w.Tier5Total)},
		},
		GPUsTotal: int64(w.GPUsTotal), GPUs: int64(w.GPUs), GPUsIdle: int64(w.GPUsIdle),
		VGPUsTotal: int64(w.VGPUsTotal), VGPUs: int64(w.VGPUs), VGPUsIdle: int64(w.VGPUsIdle),
		WorkloadDatapoints: int64(w.WorkloadDatapoints), StorageDatapoints: int64(w.StorageDatapoints),
	}, nil
}

// MarshalJSON writes the record in its wire shape (all 38 fields; sent as
// 0 when not reported).
func (r BillingRecord) MarshalJSON() ([]byte, error) {
	w := wireRecord{
		Key: r.Key, Created: flexInt(r.Created), From: flexInt(r.From), To: flexInt(r.To), Sent: flexInt(r.Sent),
		Description: flexString(r.Description),
		UsedCores:   flexInt(r.UsedCores), TotalCores: flexInt(r.TotalCores), OnlineCores: flexInt(r.OnlineCores),
		TotalNodes: flexInt(r.TotalNodes), OnlineNodes: flexInt(r.OnlineNodes), RunningMachines: flexInt(r.RunningMachines),
		UsedRAM: flexInt(r.UsedRAM), TotalRAM: flexInt(r.TotalRAM), OnlineRAM: flexInt(r.OnlineRAM),
		PhysRAMUsed: flexInt(r.PhysRAMUsed), PhysVRAMUsed: flexInt(r.PhysVRAMUsed), PhysTotalCPU: flexInt(r.PhysTotalCPU),
		Tier0Used: flexInt(r.Tiers[0].Used), Tier0Total: flexInt(r.Tiers[0].Total),
		Tier1Used: flexInt(r.Tiers[1].Used), Tier1Total: flexInt(r.Tiers[1].Total),
		Tier2Used: flexInt(r.Tiers[2].Used), Tier2Total: flexInt(r.Tiers[2].Total),
		Tier3Used: flexInt(r.Tiers[3].Used), Tier3Total: flexInt(r.Tiers[3].Total),
		Tier4Used: flexInt(r.Tiers[4].Used), Tier4Total: flexInt(r.Tiers[4].Total),
		Tier5Used: flexInt(r.Tiers[5].Used), Tier5Total: flexInt(r.Tiers[5].Total),
		GPUsTotal: flexInt(r.GPUsTotal), GPUs: flexInt(r.GPUs), GPUsIdle: flexInt(r.GPUsIdle),
		VGPUsTotal: flexInt(r.VGPUsTotal), VGPUs: flexInt(r.VGPUs), VGPUsIdle: flexInt(r.VGPUsIdle),
		WorkloadDatapoints: flexInt(r.WorkloadDatapoints), StorageDatapoints: flexInt(r.StorageDatapoints),
	}
	if w.Key == "" {
		w.Key = "0"
	}
	return json.Marshal(w)
}

// FieldError says which field of a row could not be decoded.
type FieldError struct {
	Field string
	Err   error
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Err.Error() }

func (e *FieldError) Unwrap() error { return e.Err }

// locateFieldError runs only after the fast decode failed: it decodes the
// row field by field to name the culprit, since encoding/json does not say
// which field a custom decoder rejected.
func locateFieldError(b []byte, err error) error {
	var obj map[string]json.RawMessage
	if json.Unmarshal(b, &obj) != nil {
		return fmt.Errorf("not a JSON object (%s)", kindOf(b))
	}
	var w wireRecord
	names := make([]string, 0, len(obj))
	for name := range obj {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		one, _ := json.Marshal(map[string]json.RawMessage{name: obj[name]})
		if ferr := json.Unmarshal(one, &w); ferr != nil {
			var ve *valueError
			if errors.As(ferr, &ve) {
				return &FieldError{Field: name, Err: ve}
			}
			return &FieldError{Field: name, Err: ferr}
		}
	}
	return err
}

// kindOf names the JSON kind of a value for messages.
func kindOf(b []byte) string {
	b = bytes.TrimSpace(b)
	if len(b) == 0 {
		return "empty"
	}
	switch b[0] {
	case '{':
		return "an object"
	case '[':
		return "a list"
	case '"':
		return "a string"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	default:
		return "a number " + strconv.Quote(string(b[:min(len(b), 20)]))
	}
}
