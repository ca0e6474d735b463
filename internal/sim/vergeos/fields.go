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
