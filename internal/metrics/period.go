package metrics

import "time"

// Granularities of the metric totals: the periods metrics are grouped in.
const (
	Daily   = "day"
	Weekly  = "week" // weeks start on Monday (ISO 8601)
	Monthly = "month"
)

// PeriodStart returns the start of the period of granularity g that t is
// in (UTC): its day, its week's Monday or its month's first day.
func PeriodStart(t time.Time, g string) time.Time {
	t = t.UTC()
	day := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
	switch g {
	case Weekly:
		return day.AddDate(0, 0, -((int(day.Weekday()) + 6) % 7))
	case Monthly:
		return time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC)
	}
	return day
}

// NextPeriod returns the start of the period after the one starting at p.
func NextPeriod(p time.Time, g string) time.Time {
	switch g {
	case Weekly:
		return p.AddDate(0, 0, 7)
	case Monthly:
		return p.AddDate(0, 1, 0)
	}
	return p.AddDate(0, 0, 1)
}

// Aggregation says how values of a metric type add up over a period and
// over installations: "sum" for aggregated metrics (CPU time, requests:
// amounts that accumulate), "mean" for every other type (counts at a
// moment, averages, summaries: a month of daily "45 active users" is 45,
// not 1,350). A mean is taken per installation and the installations'
// means are summed, so a provider's storage is the sum of its
// installations' average storage.
func Aggregation(metricType string) string {
	if metricType == "aggregated" {
		return "sum"
	}
	return "mean"
}
