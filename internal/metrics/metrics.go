// Package metrics names the CloudWatch metrics that both sides of a metric
// rely on: the functions write them (internal/runs, internal/reload,
// internal/watch) and the stacks read them in the dashboard and the alarms.
// A name spelled twice could drift, and an alarm on a metric nobody writes
// never fires; the stacks must not import the function's packages, so the
// names live here, with nothing else.
package metrics

// Namespace is the CloudWatch namespace of every metric the functions write.
const Namespace = "QlikReloadTriggers"

// Metric names read by the dashboard or an alarm.
const (
	// ReloadsStarted counts reloads started, per function.
	ReloadsStarted = "ReloadsStarted"
	// StartLateness is the time from a run's scheduled time to its start.
	StartLateness = "StartLateness"
	// RunsRateLimited counts runs put back for Qlik's rate limits.
	RunsRateLimited = "RunsRateLimited"
	// RunsSucceeded, RunsFailed and RunsCanceled count the runs' ends, per
	// environment.
	RunsSucceeded = "RunsSucceeded"
	RunsFailed    = "RunsFailed"
	RunsCanceled  = "RunsCanceled"
	// RunDuration is how long a reload ran.
	RunDuration = "RunDuration"
	// WatchRateLimited counts watcher rounds stopped by Qlik's rate limit.
	WatchRateLimited = "WatchRateLimited"
)
