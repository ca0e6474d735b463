package handlers

import (
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/accounting-portal/portal/internal/billing"
	"github.com/accounting-portal/portal/internal/budgets"
	"github.com/accounting-portal/portal/internal/metrics"
	"github.com/accounting-portal/portal/internal/portal"
	"github.com/accounting-portal/portal/internal/usage"
)

// apiTable is one table's JSON twin: its API path, the page it mirrors,
// the handler of that page's CSV twin (which writes the JSON, see
// api_json.go), who may read it, its filters and its columns. Columns
// are the CSV's header, as the OpenAPI document states the rows' fields;
// the tests check every answer against the document, so a column added
// to a CSV without a line here fails them. "{base}" stands for the base
// currency.
type apiTable struct {
	Path    string // under APIBase, in Echo's syntax
	Twin    string // the page's path
	CSV     string // the CSV twin's route the JSON is written by
	Summary string
	Access  Access
	Handler func(h *Handler) echo.HandlerFunc
	Params  []apiParam
	Columns []string
	// Optional columns appear in some answers only (one of them names
	// the bucket a series was folded into).
	Optional []string
}

// apiParam is a query parameter of an API route.
type apiParam struct {
	Name, Description string
	Schema            map[string]any
	Required          bool
}

func strParam(name, desc string) apiParam {
	return apiParam{Name: name, Description: desc, Schema: map[string]any{"type": "string", "maxLength": 200}}
}

func enumParam(name, desc string, values ...string) apiParam {
	return apiParam{Name: name, Description: desc, Schema: map[string]any{"type": "string", "enum": values}}
}

// sortParam documents a table's sort keys ("-key" sorts descending).
func sortKeys(keys []string) apiParam {
	return apiParam{Name: "sort", Description: "Sort by one of: " + strings.Join(keys, ", ") + "; a leading - sorts descending.",
		Schema: map[string]any{"type": "string", "pattern": "^-?(" + strings.Join(keys, "|") + ")$"}}
}

// rangeParams are parseTimeRange's: a preset, or from and to dates.
var rangeParams = []apiParam{
	enumParam("range", "A time range ending now (ignored when from or to is given).", "24h", "7d", "30d", "90d", "1y"),
	{Name: "from", Description: "First day of a custom range (YYYY-MM-DD, UTC, inclusive); needs to.", Schema: map[string]any{"type": "string", "format": "date"}},
	{Name: "to", Description: "Last day of a custom range (YYYY-MM-DD, UTC, inclusive); a range ends today at the latest and spans at most 20 years.", Schema: map[string]any{"type": "string", "format": "date"}},
}

var monthParam = apiParam{Name: "month", Description: "The month (YYYY-MM; default: this month).", Schema: map[string]any{"type": "string", "pattern": "^[0-9]{4}-[0-9]{2}$"}}

func params(groups ...[]apiParam) []apiParam {
	var out []apiParam
	for _, g := range groups {
		out = append(out, g...)
	}
	return out
}

func one(p ...apiParam) []apiParam { return p }

// withCSVParam asks a page whose CSV twin is named by a suffix of one of
// its parameters (/outbox/<id>.csv) for that twin.
func withCSVParam(name string, fn func(h *Handler) echo.HandlerFunc) func(h *Handler) echo.HandlerFunc {
	return func(h *Handler) echo.HandlerFunc {
		next := fn(h)
		return func(c echo.Context) error {
			names, values := c.ParamNames(), c.ParamValues()
			vals := make([]string, len(values))
			copy(vals, values)
			for i, n := range names {
				if n == name && i < len(vals) {
					vals[i] += ".csv"
				}
			}
			c.SetParamValues(vals...)
			return next(c)
		}
	}
}

var (
	metricFilterParams = []apiParam{
		strParam("project", "ARGO project id."), strParam("provider", "ARGO provider id."),
		strParam("installation", "ARGO installation id."), strParam("definition", "ARGO metric definition id."),
		enumParam("granularity", "Period of the totals (default: chosen by the range).", metrics.Daily, metrics.Weekly, metrics.Monthly),
	}
	requestStateParam = strParam("state", "Comma-separated request states: "+strings.Join(budgets.States, ", ")+".")
	budgetJobsColumns = []string{"job_id", "type", "subtype", "status", "name", "user_id", "reserved_utc", "started_utc", "finished_utc",
		"cancelled_utc", "duration_s", "count", "size_bytes", "cost (credits)", "reserved (credits)"}
	requestColumns = []string{"id", "kind", "virtual_lab", "project", "to_project", "amount (credits)", "state", "requested_by", "requested_utc",
		"justification", "decided_by", "decided_utc", "deny_reason", "upstream_error", "lab_balance_cached (credits)",
		"project_balance_cached (credits)", "to_project_balance_cached (credits)"}
)

// apiTables lists every table's JSON twin.
var apiTables = []apiTable{
	// Core (admins).
	{Path: "/sources", Twin: "/sources", CSV: "/sources.csv", Summary: "Recent sync runs of each configured upstream", Access: Admin,
		Handler: func(h *Handler) echo.HandlerFunc { return h.handleSourcesCSV },
		Columns: []string{"upstream", "started_utc", "finished_utc", "took_ms", "rows", "error"}},
	{Path: "/outbox", Twin: "/outbox", CSV: "/outbox.csv", Summary: "Outbox items: every write to an upstream and its state", Access: Admin,
		Handler: func(h *Handler) echo.HandlerFunc { return h.handleOutboxList },
		Params:  one(strParam("state", "Comma-separated outbox states: "+strings.Join(portal.OutboxStates, ", ")+".")),
		Columns: []string{"id", "kind", "upstream", "summary", "state", "attempts", "max_attempts", "last_error", "created_utc", "updated_utc",
			"next_attempt_utc", "created_by"}},
	{Path: "/outbox/:id/attempts", Twin: "/outbox/{id}", CSV: "/outbox/:id.csv", Summary: "An outbox item's delivery attempts", Access: Admin,
		Handler: withCSVParam("id", func(h *Handler) echo.HandlerFunc { return h.handleOutboxItem }),
		Columns: []string{"started_utc", "finished_utc", "outcome", "error", "result_json"}},

	// Budgets (OBI).
	{Path: "/budgets", Twin: "/budgets", CSV: "/budgets.csv", Summary: "Each project's balance, spend, burn rate and run-out date", Access: Member,
		Handler: func(h *Handler) echo.HandlerFunc { return h.handleBudgets },
		Params: one(strParam("lab", "OBI virtual lab id."), enumParam("warn", "1: only projects overdrawn or running out soon.", "1"),
			sortKeys(budgetSorts)),
		Columns: []string{"virtual_lab", "project_key", "project", "obi_project_id", "balance (credits)", "reserved (credits)",
			"spend_7d (credits)", "spend_30d (credits)", "burn_rate_30d (credits/day)", "burn_rate_7d (credits/day)",
			"runs_out_30d_rate (date)", "runs_out_7d_rate (date)", "status"}},
	{Path: "/budgets/labs", Twin: "/budgets", CSV: "/budgets/labs.csv", Summary: "Each virtual lab's balance and projects", Access: Member,
		Handler: func(h *Handler) echo.HandlerFunc { return h.handleBudgetLabsCSV },
		Columns: []string{"virtual_lab", "obi_vlab_id", "balance_unassigned (credits)", "projects", "projects_balance (credits)",
			"projects_reserved (credits)", "discount_in_force", "projects_with_warnings"}},
	{Path: "/budgets/projects/:key/jobs", Twin: "/budgets/projects/{key}", CSV: "/budgets/projects/:key/jobs.csv", Summary: "A project's OBI jobs and their cost", Access: Member,
		Handler: func(h *Handler) echo.HandlerFunc { return h.handleBudgetJobsCSV },
		Params:  params(rangeParams, one(strParam("type", "Job type."), sortKeys(budgets.JobSorts))),
		Columns: budgetJobsColumns},
	{Path: "/budgets/projects/:key/spend", Twin: "/budgets/projects/{key}", CSV: "/budgets/projects/:key/spend.csv", Summary: "A project's spend per day and job type", Access: Member,
		Handler: func(h *Handler) echo.HandlerFunc { return h.handleBudgetSpendCSV },
		Params:  rangeParams,
		Columns: []string{"day_utc", "type", "jobs", "cost (credits)"}},
	{Path: "/budgets/projects/:key/discounts", Twin: "/budgets/projects/{key}", CSV: "/budgets/projects/:key/discounts.csv", Summary: "The discounts of a project's virtual lab", Access: Member,
		Handler: func(h *Handler) echo.HandlerFunc { return h.handleBudgetDiscountsCSV },
		Columns: []string{"virtual_lab", "discount_id", "discount (fraction)", "valid_from_utc", "valid_to_utc", "in_force"}},
	{Path: "/budgets/projects/:key/balances", Twin: "/budgets/projects/{key}/balances", CSV: "/budgets/projects/:key/balances.csv", Summary: "Every balance the portal recorded of a project", Access: Member,
		Handler: func(h *Handler) echo.HandlerFunc { return h.handleBudgetBalances },
		Params:  params(rangeParams, one(sortKeys([]string{"at"}))),
		Columns: []string{"at_utc", "balance (credits)", "reserved (credits)"}},
	{Path: "/requests", Twin: "/requests", CSV: "/requests.csv", Summary: "Your budget requests (admins: every request)", Access: Manager,
		Handler: func(h *Handler) echo.HandlerFunc { return h.handleRequests },
		Params:  one(requestStateParam, sortKeys(budgets.RequestSorts)),
		Columns: requestColumns},
	{Path: "/requests/:id/readings", Twin: "/requests/{id}", CSV: "/requests/:id.csv", Summary: "The balances read around a budget request's OBI call", Access: Manager,
		Handler: withCSVParam("id", func(h *Handler) echo.HandlerFunc { return h.handleRequest }),
		Columns: []string{"account", "before (credits)", "after (credits)", "change_seen (credits)", "change_if_applied (credits)", "matches",
			"read_before_utc", "read_after_utc"}},
	{Path: "/approvals", Twin: "/approvals", CSV: "/approvals.csv", Summary: "The admins' inbox: pending requests first, oldest first", Access: Admin,
		Handler: func(h *Handler) echo.HandlerFunc { return h.handleApprovals },
		Params:  one(requestStateParam, sortKeys(budgets.RequestSorts)),
		Columns: requestColumns},

	// Projects and costs.
	{Path: "/projects", Twin: "/projects", CSV: "/projects.csv", Summary: "Your projects and their cost in a month", Access: Member,
		Handler: func(h *Handler) echo.HandlerFunc { return h.handleProjects },
		Params:  one(monthParam),
		Columns: []string{"project_key", "project", "vergeos_tenant", "month", "cost_{base}", "unpriced_lines"}},
	{Path: "/projects/:key/ledger", Twin: "/projects/{key}", CSV: "/projects/:key.csv", Summary: "A project's ledger lines of a month", Access: Member,
		Handler: withCSVParam("key", func(h *Handler) echo.HandlerFunc { return h.handleProject }),
		Params:  one(monthParam),
		Columns: []string{"day", "project_key", "source", "measure", "scope", "quantity", "quantity_unit", "origin", "rate_version", "price",
			"price_unit", "currency", "amount_in_currency", "fx_version", "fx_currency_per_{base}", "amount_{base}", "unpriced_reason"}},
	{Path: "/projects/:key/statements/:month", Twin: "/projects/{key}/statements/{month}", CSV: "/projects/:key/statements/:month.csv", Summary: "A project's monthly statement, line by line", Access: Member,
		Handler: withCSVParam("month", func(h *Handler) echo.HandlerFunc { return h.handleStatement }),
		Columns: []string{"line", "project_key", "month", "source", "measure", "scope", "scope_name", "first_day", "last_day", "days", "quantity",
			"quantity_unit", "rate_version", "price", "price_unit", "currency", "fx_version", "fx_currency_per_{base}", "amount_in_currency",
			"amount_{base}_exact", "charged_{base}", "unpriced_reason"}},
	{Path: "/costs", Twin: "/costs", CSV: "/costs.csv", Summary: "Every project's costs per source in a month", Access: Member,
		Handler: func(h *Handler) echo.HandlerFunc { return h.handleCosts },
		Params:  one(monthParam),
		Columns: []string{"project_key", "project", "month", "vergeos_{base}", "argo_{base}", "amie_{base}", "obi_{base}", "total_{base}",
			"unpriced_lines", "ledger_lines", "newest_day"}},
	{Path: "/costs/budgets", Twin: "/costs", CSV: "/costs/budgets.csv", Summary: "Every budget with what was spent against it", Access: Member,
		Handler: func(h *Handler) echo.HandlerFunc { return h.handleBudgetsCSV },
		Columns: []string{"project_key", "project", "period_kind", "period", "period_start", "period_end", "budget_{base}", "spent_{base}",
			"remaining_{base}", "used_percent", "burn_{base}_per_day", "projected_{base}_at_period_end", "runs_out", "state", "unpriced_lines",
			"note", "set_by", "set_at"}},
	{Path: "/costs/rates", Twin: "/costs/rates", CSV: "/costs/rates.csv", Summary: "The rate card: every rate and exchange rate version", Access: Admin,
		Handler: func(h *Handler) echo.HandlerFunc { return h.handleRates },
		Columns: []string{"kind", "version", "source", "measure", "scope", "price", "price_unit", "currency", "fx_currency_per_{base}", "valid_from",
			"state_today", "entered_by", "entered_at"}},
	{Path: "/costs/reconciliation", Twin: "/costs/reconciliation", CSV: "/costs/reconciliation.csv", Summary: "Cross-source checks: AMIE SUs against ARGO cpu_hours", Access: Member,
		Handler: func(h *Handler) echo.HandlerFunc { return h.handleReconcile },
		Params: one(apiParam{Name: "from", Description: "First month (YYYY-MM).", Schema: map[string]any{"type": "string"}},
			apiParam{Name: "to", Description: "Last month (YYYY-MM).", Schema: map[string]any{"type": "string"}}),
		Columns: []string{"project_key", "project", "month", "amie_sus_sent", "argo_cpu_hours", "difference_amie_minus_argo",
			"difference_percent_of_argo", "tolerance_percent", "flagged"}},

	// Metrics (ARGO).
	{Path: "/metrics", Twin: "/metrics", CSV: "/metrics.csv", Summary: "Metric totals per period, project, provider and definition", Access: Member,
		Handler: func(h *Handler) echo.HandlerFunc { return h.handleMetrics },
		Params:  params(metricFilterParams, rangeParams, one(sortKeys(metrics.TotalSorts))),
		Columns: []string{"period", "period_start_utc", "granularity", "project", "argo_project_id", "project_key", "provider", "provider_id",
			"metric_definition", "metric_definition_id", "unit", "metric_type", "aggregation", "installations", "metrics", "total"}},
	{Path: "/metrics/definitions", Twin: "/metrics/definitions", CSV: "/metrics/definitions.csv", Summary: "Metric definitions and how much your projects report of each", Access: Member,
		Handler: func(h *Handler) echo.HandlerFunc { return h.handleMetricDefinitions },
		Params:  one(sortKeys(metrics.DefinitionSorts)),
		Columns: []string{"metric_definition", "metric_definition_id", "unit", "metric_type", "aggregation", "installations_in_scope",
			"metrics_in_scope", "first_period_start_utc", "last_period_start_utc", "description"}},
	{Path: "/metrics/installations", Twin: "/metrics/installations", CSV: "/metrics/installations.csv", Summary: "Your projects' ARGO installations", Access: Member,
		Handler: func(h *Handler) echo.HandlerFunc { return h.handleMetricInstallations },
		Params:  one(strParam("project", "ARGO project id."), strParam("provider", "ARGO provider id."), sortKeys(metrics.InstallationSorts)),
		Columns: []string{"installation", "argo_installation_id", "project", "argo_project_id", "project_key", "provider", "provider_id",
			"infrastructure", "resource", "external_id", "unit_of_access", "metrics", "first_period_start_utc", "last_period_start_utc"}},
	{Path: "/metrics/installations/:id/metrics", Twin: "/metrics/installations/{id}", CSV: "/metrics/installations/:id.csv", Summary: "An installation's metrics", Access: Member,
		Handler: withCSVParam("id", func(h *Handler) echo.HandlerFunc { return h.handleMetricInstallation }),
		Params:  params(metricFilterParams, rangeParams, one(sortKeys(metrics.ListSorts))),
		Columns: []string{"metric_id", "installation", "argo_installation_id", "project", "argo_project_id", "provider", "provider_id",
			"metric_definition", "metric_definition_id", "unit", "metric_type", "period_start_utc", "period_end_utc", "value", "user_id", "group_id"}},
	{Path: "/metrics/pushes", Twin: "/metrics/pushes", CSV: "/metrics/pushes.csv", Summary: "Your metric pushes (admins: every push)", Access: Manager,
		Handler: func(h *Handler) echo.HandlerFunc { return h.handlePushes },
		Params:  one(strParam("state", "Push state."), sortKeys(metrics.PushSorts)),
		Columns: []string{"push_id", "created_utc", "created_by", "installation", "argo_installation_id", "project", "argo_project_id",
			"metric_definition", "metric_definition_id", "unit", "metric_type", "period_start_utc", "period_end_utc", "value", "user_id", "group_id",
			"state", "argo_metric_id", "error", "updated_utc"}},

	// Usage (AMIE).
	{Path: "/usage", Twin: "/usage", CSV: "/usage.csv", Summary: "Records AMIE processed per resource and UTC day", Access: Member,
		Handler: func(h *Handler) echo.HandlerFunc { return h.handleUsageStatus },
		Params:  params(rangeParams, one(strParam("resource", "Resource name."), sortKeys(usage.StatusSorts))),
		Columns: []string{"day_utc", "resource", "loaded_records", "failed_records", "total_charge_allocation_units"}},
	{Path: "/usage/failed", Twin: "/usage/failed", CSV: "/usage/failed.csv", Summary: "Records AMIE could not process, of your projects", Access: Member,
		Handler: func(h *Handler) echo.HandlerFunc { return h.handleUsageFailed },
		Params: one(strParam("error", "Error text."), strParam("project", "Local project id."), strParam("resource", "Resource name."),
			strParam("type", "Record type."), sortKeys(usage.FailedSorts)),
		Columns: []string{"error", "failed_record_id", "usage_type", "resource", "local_project_id", "project", "local_record_id", "username",
			"start_utc", "end_utc", "charge_allocation_units", "local_reference", "problems"}},
	{Path: "/usage/clears", Twin: "/usage/clears", CSV: "/usage/clears.csv", Summary: "Requests to clear failed records", Access: Admin,
		Handler: func(h *Handler) echo.HandlerFunc { return h.handleUsageClears },
		Params:  one(sortKeys(usage.ClearSorts)),
		Columns: []string{"id", "requested_utc", "requested_by", "records", "state", "updated_utc", "failed_record_ids"}},
	{Path: "/usage/uploads", Twin: "/usage/uploads", CSV: "/usage/uploads.csv", Summary: "Your usage-record uploads (admins: every upload)", Access: Manager,
		Handler: func(h *Handler) echo.HandlerFunc { return h.handleUploads },
		Params:  one(sortKeys(usage.UploadSorts)),
		Columns: []string{"id", "uploaded_utc", "uploaded_by", "usage_type", "file", "records", "total_charge_allocation_units", "projects",
			"requests", "requests_delivered", "accepted", "refused", "not_sent", "state"}},
	{Path: "/usage/uploads/:id/records", Twin: "/usage/uploads/{id}", CSV: "/usage/uploads/:id.csv", Summary: "An upload's records and their outcome", Access: Manager,
		Handler: withCSVParam("id", func(h *Handler) echo.HandlerFunc { return h.handleUploadItem }),
		Params:  one(strParam("outcome", "Record outcome."), sortKeys(usage.UploadRecordSorts)),
		Columns: []string{"line", "local_record_id", "resource", "local_project_id", "username", "start_utc", "end_utc", "charge_allocation_units",
			"request", "outcome", "error", "processing_error"}},

	// Billing (VergeOS).
	{Path: "/billing/summary", Twin: "/billing", CSV: "/billing.csv", Summary: "The VergeOS billing summary of a period", Access: Member,
		Handler: func(h *Handler) echo.HandlerFunc { return h.handleBillingSummaryCSV },
		Params:  params(rangeParams, one(enumParam("unsent", "1: only records VergeOS has not reported.", "0", "1"))),
		Columns: summaryCSVHeader},
	{Path: "/billing/records", Twin: "/billing", CSV: "/billing/records.csv", Summary: "VergeOS billing records", Access: Member,
		Handler: func(h *Handler) echo.HandlerFunc { return h.handleBillingRecordsCSV },
		Params:  params(rangeParams, one(enumParam("unsent", "1: only records VergeOS has not reported.", "0", "1"), sortKeys(billing.RecordSorts))),
		Columns: recordsCSVHeader},
	{Path: "/billing/records/:key", Twin: "/billing/records/{key}", CSV: "/billing/records/:key.csv", Summary: "One VergeOS billing record", Access: Member,
		Handler: withCSVParam("key", func(h *Handler) echo.HandlerFunc { return h.handleBillingRecord }),
		Columns: recordsCSVHeader},
	{Path: "/billing/tiers", Twin: "/billing", CSV: "/billing/tiers.csv", Summary: "Storage use per tier", Access: Member,
		Handler: func(h *Handler) echo.HandlerFunc { return h.handleBillingTiersCSV },
		Params:  rangeParams,
		Columns: []string{"tier", "used_bytes", "total_bytes", "used_percent", "avg_used_bytes", "peak_used_bytes", "as_of_record_key",
			"as_of_record_created_utc"}},
	{Path: "/billing/usage", Twin: "/billing", CSV: "/billing/usage.csv", Summary: "Utilisation over time, in buckets the range chooses", Access: Member,
		Handler: func(h *Handler) echo.HandlerFunc { return h.handleBillingUsageCSV },
		Params:  rangeParams,
		Columns: []string{"records", "avg_cpu_utilisation_percent", "peak_cpu_utilisation_percent", "avg_ram_utilisation_percent",
			"avg_gpu_utilisation_percent", "avg_vgpu_utilisation_percent", "avg_storage_utilisation_percent", "avg_storage_used_bytes",
			"avg_storage_total_bytes"},
		Optional: []string{"hour_from_utc", "day_from_utc", "week_from_utc", "month_from_utc"}},
	{Path: "/billing/requests", Twin: "/billing/requests", CSV: "/billing/requests.csv", Summary: "Requests to generate a billing record", Access: Admin,
		Handler: func(h *Handler) echo.HandlerFunc { return h.handleGenerateList },
		Params:  one(sortKeys(billing.GenerateRequestSorts)),
		Columns: []string{"id", "state", "state_since_utc", "requested_by", "requested_at_utc", "note", "last_error", "sent_at_utc",
			"vergeos_action_key", "outbox_id"}},
	{Path: "/billing/requests/:id/records-since", Twin: "/billing/requests/{id}", CSV: "/billing/requests/:id.csv", Summary: "Records VergeOS wrote since a generate request was sent", Access: Admin,
		Handler: withCSVParam("id", func(h *Handler) echo.HandlerFunc { return h.handleGenerateItem }),
		Columns: []string{"key", "from_utc", "to_utc", "created_utc", "description"}},
}

// APITwin is a table's API route and the CSV twin that writes it.
type APITwin struct {
	API, CSV string // Echo routes
	Access   Access
}

// APITwins lists every table's JSON twin with its CSV (the tests compare them).
func APITwins() []APITwin {
	out := make([]APITwin, len(apiTables))
	for i, t := range apiTables {
		out[i] = APITwin{API: APIBase + t.Path, CSV: t.CSV, Access: t.Access}
	}
	return out
}
