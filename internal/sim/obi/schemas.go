package obi

// Service types and subtypes (API.md §2).
const (
	typeOneshot = "oneshot"
	typeLongrun = "longrun"
	typeStorage = "storage"
)

// serviceTypes is the ServiceType enum in declaration order.
var serviceTypes = []string{typeStorage, typeOneshot, typeLongrun}

// Subtypes is the server's ServiceSubtype enum in declaration order,
// legacy values last.
var Subtypes = []string{
	"ion-channel-build", "ion-channel-sim", "ml-llm", "neuron-mesh-skeletonization",
	"notebook", "single-cell-build", "single-cell-sim", "small-circuit-sim",
	"storage", "synaptome-build", "synaptome-sim", "single-sim", "pair-sim",
	"small-sim", "microcircuit-sim", "region-sim", "system-sim", "whole-brain-sim",
	"circuit-extraction", "em-synapse-mapping", "brian2-circuit-simulation",
	"ml-rag", "ml-retrieval",
}

// legacySubtypes are accepted by usage events only.
var legacySubtypes = map[string]bool{"ml-rag": true, "ml-retrieval": true}

// longrunStatuses is the LongrunStatus enum.
var longrunStatuses = []string{"started", "running", "finished"}

func uuidF(name string) field   { return field{name: name, kind: kUUID} }
func strF(name string) field    { return field{name: name, kind: kStr} }
func amountF(name string) field { return field{name: name, kind: kDec, gt: "0"} }
func countF(name string) field  { return field{name: name, kind: kInt, ge: "0"} }
func literalF(v string) field   { return field{name: "type", kind: kLiteral, values: []string{v}} }
func subtypeF(name string) field {
	return field{name: name, kind: kEnum, values: Subtypes, noLegacy: true}
}
func optional(f field) field { f.optional, f.nullable = true, true; return f }
func nullable(f field) field { f.nullable = true; return f }

// Request models (API.md §5), fields in declaration order.
var (
	sysAccountIn  = schema{uuidF("id"), strF("name")}
	vlabAccountIn = schema{uuidF("id"), strF("name"), {name: "balance", kind: kDec, ge: "0", optional: true}}
	projAccountIn = schema{uuidF("id"), strF("name"), uuidF("vlab_id")}

	topUpIn        = schema{uuidF("vlab_id"), amountF("amount")}
	assignIn       = schema{uuidF("vlab_id"), uuidF("proj_id"), amountF("amount")}
	reverseIn      = assignIn
	moveIn         = schema{uuidF("vlab_id"), uuidF("debited_from"), uuidF("credited_to"), amountF("amount")}
	grantIn        = schema{uuidF("proj_id"), amountF("amount")}
	depleteProjIn  = schema{uuidF("proj_id")}
	depleteVlabIn  = schema{uuidF("vlab_id")}
	estimateIn     = schema{uuidF("proj_id"), literalF(typeOneshot), subtypeF("subtype"), countF("count")}
	reserveBase    = schema{uuidF("proj_id"), uuidF("user_id"), optional(uuidF("group_id")), optional(strF("name"))}
	reserveOneshot = append(append(schema{}, reserveBase...), literalF(typeOneshot), subtypeF("subtype"), countF("count"))
	reserveLongrun = append(append(schema{}, reserveBase...), literalF(typeLongrun), subtypeF("subtype"), countF("duration"), countF("instances"), optional(strF("instance_type")))
	priceIn        = schema{{name: "service_type", kind: kEnum, values: serviceTypes}, subtypeF("service_subtype"), {name: "valid_from", kind: kAware}, nullable(field{name: "valid_to", kind: kAware}), {name: "tiers", kind: kTiers}, nullable(uuidF("vlab_id"))}
	tierSchema     = schema{countF("min_quantity"), optional(countF("max_quantity")), {name: "fixed_cost", kind: kDec, ge: "0"}, {name: "multiplier", kind: kDec, ge: "0"}}
	discountIn     = schema{uuidF("vlab_id"), {name: "discount", kind: kDec, ge: "0", le: "1"}, {name: "valid_from", kind: kAware}, optional(field{name: "valid_to", kind: kAware})}
	usageOneshotIn = schema{literalF(typeOneshot), {name: "subtype", kind: kEnum, values: Subtypes}, uuidF("proj_id"), uuidF("job_id"), optional(strF("name")), countF("count"), {name: "timestamp", kind: kStamp}}
	usageLongrunIn = schema{literalF(typeLongrun), {name: "subtype", kind: kEnum, values: Subtypes}, uuidF("proj_id"), uuidF("job_id"), optional(strF("name")), {name: "status", kind: kEnum, values: longrunStatuses}, optional(countF("instances")), optional(strF("instance_type")), {name: "timestamp", kind: kStamp}}
	usageStorageIn = schema{literalF(typeStorage), {name: "subtype", kind: kLiteral, values: []string{"storage"}, optional: true}, uuidF("proj_id"), countF("size"), {name: "timestamp", kind: kStamp}}
	subtypeQueryF  = field{name: "subtype", kind: kEnum, values: Subtypes}
)
