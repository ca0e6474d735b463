package argo

// The catalogue the simulator seeds: the unit and metric types the real
// server loads from files/unit_type.conf and files/metric_type.conf, the
// metric definitions the demo installations report, and the kinds of
// installation with the series each kind reports.

// unitTypeSeed is one entry of unit_type.conf.
type unitTypeSeed struct{ symbol, unit, category string }

// unitTypeSeeds mirrors shared/upstreams/argo/unit_type.conf in file order.
var unitTypeSeeds = []unitTypeSeed{
	{"TB", "terabyte", "digital data"},
	{"TB/year", "terabyte per year", "digital data"},
	{"Endpoints Monitored/hour", "Endpoints Monitored per hour", "digital data"},
	{"Messages/hour", "Messages per hour", "digital data"},
	{"Service Updates", "Service Updates", "digital data"},
	{"#", "number of", "number"},
	{"count", "count of", "number"},
	{"API reqs", "API requests", "number"},
	{"PID prefixes", "PID prefixes", "number"},
	{"CPU Time", "the exact amount of time that the CPU has spent processing data", "CPU"},
	{"s", "second", "time"},
}

// metricTypeSeeds mirrors shared/upstreams/argo/metric_type.conf.
var metricTypeSeeds = []string{"aggregated", "count", "summarised", "averaged"}

// attrKind says which optional attribution a series' metrics carry.
type attrKind int

const (
	attrNone  attrKind = iota
	attrUser           // user_id set, group_id omitted
	attrGroup          // group_id set, user_id omitted
)

// defTemplate is a metric definition and the shape of the values its
// series take: a base level, growth over the year, a weekend dip, a
// yearly wave (academic year: high in winter, low in summer) and noise.
type defTemplate struct {
	name, description, unit, metricType string
	base                                float64 // typical daily value of an average installation
	growth                              float64 // relative growth over the whole window
	weekend                             float64 // relative dip on Saturdays and Sundays
	yearly                              float64 // amplitude of the yearly wave
	noise                               float64 // relative day-to-day noise
	decimals                            int     // rounding of the value
	attr                                attrKind
}

// defTemplates are the metric definitions every simulator seeds, in order.
var defTemplates = []defTemplate{
	{"cpu_hours", "CPU time consumed by finished jobs, in core hours", "CPU Time", "aggregated", 1800, 0.45, 0.35, 0.15, 0.12, 2, attrUser},
	{"storage_used", "Storage space occupied at the end of the day", "TB", "averaged", 120, 0.35, 0, 0.02, 0.01, 3, attrNone},
	{"storage_allocation", "Storage allocated for the year", "TB/year", "summarised", 150, 0.2, 0, 0, 0, 1, attrNone},
	{"number_of_active_users", "Number of active users", "#", "count", 45, 0.3, 0.45, 0.2, 0.1, 0, attrNone},
	{"api_requests", "API requests served", "API reqs", "aggregated", 250000, 0.6, 0.3, 0.1, 0.15, 0, attrNone},
	{"job_wall_time", "Wall-clock time of finished jobs", "s", "aggregated", 3.6e6, 0.4, 0.3, 0.15, 0.15, 0, attrGroup},
	{"messages_delivered", "Messages delivered per hour", "Messages/hour", "averaged", 5200, 0.25, 0.2, 0.05, 0.08, 2, attrNone},
	{"endpoints_monitored", "Endpoints monitored per hour", "Endpoints Monitored/hour", "averaged", 320, 0.15, 0, 0, 0.02, 0, attrNone},
	{"pid_prefixes", "PID prefixes in use", "PID prefixes", "count", 12, 0.25, 0, 0, 0, 0, attrNone},
	{"service_updates", "Service updates deployed", "Service Updates", "count", 2, 0.1, 0.8, 0, 0.9, 0, attrNone},
}

// genericTemplate shapes the series of metric definitions added from
// outside (tests, fixtures) that are not in defTemplates.
var genericTemplate = defTemplate{base: 50, growth: 0.2, weekend: 0.1, yearly: 0.05, noise: 0.2, decimals: 4}

// installationKind is a kind of installation: what it is called, which
// infrastructure it belongs to, and the definitions it reports.
type installationKind struct {
	slug, infrastructure, resource string
	series                         []string // definition names
	unitOfAccess                   string   // definition name, "" for none
}

// installationKinds cycle over the seeded installations; each reports four series.
var installationKinds = []installationKind{
	{"hpc", "EuroHPC", "", []string{"cpu_hours", "job_wall_time", "number_of_active_users", "storage_used"}, ""},
	{"cloud", "EGI Federated Cloud", "cloud-compute", []string{"cpu_hours", "number_of_active_users", "api_requests", "storage_used"}, "cpu_hours"},
	{"storage", "EUDAT CDI", "object-store", []string{"storage_used", "storage_allocation", "api_requests", "pid_prefixes"}, "storage_allocation"},
	{"monitoring", "EOSC Core", "monitoring", []string{"endpoints_monitored", "messages_delivered", "service_updates", "number_of_active_users"}, ""},
}

// callIdentifiers are the funding calls of the seeded projects.
var callIdentifiers = []string{
	"HORIZON-INFRA-2023-EOSC-01", "HORIZON-INFRA-2022-DEV-01", "HORIZON-CL5-2023-D1-01",
	"HORIZON-HLTH-2024-TOOL-05", "",
}
