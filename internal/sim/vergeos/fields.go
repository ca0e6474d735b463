package vergeos

// fieldID numbers the 38 columns of the billing table in the order of
// API.md §4 (the order "fields=all" answers with).
type fieldID int

const (
	fKey fieldID = iota
	fCreated
	fFrom
	fTo
	fSent
	fDescription
	fUsedCores
	fTotalCores
	fOnlineCores
	fTotalNodes
	fOnlineNodes
	fRunningMachines
	fUsedRAM
	fTotalRAM
	fOnlineRAM
	fPhysRAMUsed
	fPhysVRAMUsed
	fPhysTotalCPU
	fTier0Used // tier N used is fTier0Used+2N, total is fTier0Used+2N+1
	fTier0Total
	fTier1Used
	fTier1Total
	fTier2Used
	fTier2Total
	fTier3Used
	fTier3Total
	fTier4Used
	fTier4Total
	fTier5Used
	fTier5Total
	fGPUsTotal
	fGPUs
	fGPUsIdle
	fVGPUsTotal
	fVGPUs
	fVGPUsIdle
	fWorkloadDatapoints
	fStorageDatapoints
	numFields
)

// numTiers is the number of vSAN tiers a record reports.
const numTiers = 6

var fieldNames = [numFields]string{
	"$key", "created", "from", "to", "sent", "description",
	"used_cores", "total_cores", "online_cores", "total_nodes", "online_nodes", "running_machines",
	"used_ram", "total_ram", "online_ram", "phys_ram_used", "phys_vram_used", "phys_total_cpu",
	"tier_0_used", "tier_0_total", "tier_1_used", "tier_1_total", "tier_2_used", "tier_2_total",
	"tier_3_used", "tier_3_total", "tier_4_used", "tier_4_total", "tier_5_used", "tier_5_total",
	"gpus_total", "gpus", "gpus_idle", "vgpus_total", "vgpus", "vgpus_idle",
	"workload_datapoints", "storage_datapoints",
}

var fieldByName = func() map[string]fieldID {
	m := make(map[string]fieldID, numFields)
	for i, n := range fieldNames {
		m[n] = fieldID(i)
	}
	return m
}()

// kind is how a column is compared in filters and written in JSON.
type kind int

const (
	kindNum  kind = iota // an integer
	kindText             // a string
	kindBool             // true or false on the wire, 1 or 0 in filters
)

// schema is a simulated table's columns: their names in the order
// "fields=all" answers with, and their kinds. The filter, fields and sort
// parsers read every table through one.
type schema struct {
	names  []string
	byName map[string]fieldID
	kinds  []kind
}

// newSchema builds a schema from column names and kinds (missing: number).
func newSchema(names []string, kinds map[string]kind) schema {
	sc := schema{names: names, byName: make(map[string]fieldID, len(names)), kinds: make([]kind, len(names))}
	for i, n := range names {
		sc.byName[n] = fieldID(i)
		sc.kinds[i] = kinds[n]
	}
	return sc
}

// billingSchema is the billing table's.
var billingSchema = newSchema(fieldNames[:], map[string]kind{"description": kindText})

func tierUsed(n int) fieldID  { return fTier0Used + fieldID(2*n) }
func tierTotal(n int) fieldID { return fTier0Used + fieldID(2*n) + 1 }

// record is one billing row: every numeric column in v (indexed by
// fieldID; v[fDescription] is unused), the description, and whether
// "sent" is left out of the JSON (VergeOS may omit it) rather than sent as 0.
type record struct {
	v          [numFields]int64
	desc       string
	sentAbsent bool
}

func (r *record) num(f fieldID) int64 { return r.v[f] }

func (r *record) str(fieldID) string { return r.desc }
